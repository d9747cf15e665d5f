// SPDX-License-Identifier: GPL-3.0-or-later
// bench/results/latest.md: the figures of one run as markdown tables.
import { byRound } from './audio.mjs';

const f = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const ms = (us) => (Number.isFinite(us) ? us / 1000 : null);

// The service's GET /api/status send_priority: at which priority the figures' frames were sent.
function sendPriority(sp) {
  if (!sp) return 'send priority not reported';
  return sp.in_use ? `frames sent at SCHED_RR ${sp.wanted}` : `frames sent at normal priority (${sp.why_not ?? 'not in use'})`;
}

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function latencyTable(lat) {
  return table(
    ['resolution', 'sessions × s', 'glass→glass median', 'glass→glass p95', 'per-session medians',
      'capture→receive median', 'capture→receive p95', 'per-session medians'],
    lat.map((l) => [`${l.width}x${l.height}@${l.fps}`, `${l.sessions.length} × ${l.seconds}`,
      f(l.pooled.glass_to_glass_ms.median), f(l.pooled.glass_to_glass_ms.p95),
      l.session_medians.glass_to_glass_ms.map((v) => f(v)).join(', '),
      f(l.pooled.capture_to_receive_ms.median), f(l.pooled.capture_to_receive_ms.p95),
      l.session_medians.capture_to_receive_ms.map((v) => f(v)).join(', ')]));
}

function browserTable(lat) {
  const mean = (xs) => { const v = xs.filter(Number.isFinite); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; };
  const sum = (xs) => xs.reduce((a, b) => a + (b || 0), 0);
  return table(['resolution', 'fps', 'kbit/s', 'jitter buffer ms', 'decode ms', 'freezes', 'lost', 'first frame ms', 'SRTP'],
    lat.map((l) => {
      const b = l.sessions.map((s) => s.browser);
      return [`${l.width}x${l.height}`, f(mean(b.map((x) => x.fps))), f(mean(b.map((x) => x.kbit_s)), 0),
        f(mean(b.map((x) => x.jitter_buffer_ms)), 2), f(mean(b.map((x) => x.decode_ms)), 2),
        String(sum(b.map((x) => x.freezes))), String(sum(b.map((x) => x.packets_lost))),
        f(mean(l.sessions.map((s) => s.first_frame_ms)), 0), l.sessions[0]?.server.viewer?.srtp ?? '–'];
    }));
}

// capture_to_first_packet: the reference's payloader output (before SRTP
// and the socket; bench/reference/whep-gst.py).
const STAGES = ['capture_to_encode_start', 'capture_to_encode_end', 'capture_to_network',
  'capture_to_first_packet', 'capture_to_first_send', 'capture_to_last_send'];

function stageTable(rows) {
  return table(['run', 'stage', 'median ms', 'p95 ms', 'p99 ms', 'max ms'],
    rows.flatMap(([name, lat]) => STAGES.filter((s) => lat && lat[s]).map((s) =>
      [name, s.replaceAll('_', ' '), f(ms(lat[s].median), 2), f(ms(lat[s].p95), 2), f(ms(lat[s].p99), 2), f(ms(lat[s].max), 2)])));
}

// To how many viewers the frames of a status window went.
const frameViewers = (fv) => (fv ? (fv.min === fv.max ? String(fv.min) : `${fv.min}–${fv.max} (mixed)`) : '–');

// Per run with viewers: encoder out -> last packet sent, per frame, over the
// server's last 512 frames, and which viewer counts those frames went to.
function sendingTable(cpu) {
  const runs = cpu.runs.filter((r) => r.viewers > 0 && r.server.encode_end_to_last_send_us);
  if (!runs.length) return 'No run reported it.';
  return table(['viewers', 'round', 'frames went to (viewers)', 'encoder out → sending begins, median ms',
    'encoder out → last send, median ms', 'p95 ms', 'send path'],
  runs.map((r) => {
    const lat = r.server.latency_us, fv = r.server.frame_viewers, s = r.server.encode_end_to_last_send_us;
    const hop = lat.capture_to_network ? f(ms(lat.capture_to_network.median - lat.capture_to_encode_end.median), 2) : '–';
    return [String(r.viewers), String(r.round), frameViewers(fv),
      hop, f(ms(s.median), 2), f(ms(s.p95), 2), (r.server.send_paths || []).join(', ') || '–'];
  }));
}

// Machine busy time that was neither the service nor whep-load, per run.
function otherLoad(cpu, n) {
  const leftOut = cpu.by_viewers.find((c) => c.viewers === n)?.contended_runs_left_out > 0;
  return cpu.runs.filter((r) => r.viewers === n)
    .map((r) => `${f(r.other_pct)}${r.contended ? ` (${leftOut ? 'left out' : 'contended, kept: no quiet run'}: ` +
      `${r.top_other_processes[0]?.comm ?? '?'})` : ''}`).join(', ');
}

function cpuTable(cpu) {
  const soak = cpu.by_viewers.some((c) => Number.isFinite(c.soak_pct));
  return table(['viewers', 'service % of a core', 'runs', 'per additional viewer', 'receiver (whep-load) %',
    'machine busy %', ...(soak ? ['soak %'] : []), 'other processes % (all runs)'],
  cpu.by_viewers.map((c) => [String(c.viewers), f(c.service_pct), c.service_pct_runs.map((v) => f(v)).join(', '),
    c.per_additional_viewer_pct === null ? '–' : `${f(c.per_additional_viewer_pct, 2)} %`,
    f(c.receiver_pct), f(c.machine_busy_pct), ...(soak ? [f(c.soak_pct)] : []), otherLoad(cpu, c.viewers)]));
}

function copyTable(result) {
  const rows = [];
  for (const l of result.latency) {
    const v = l.server_at_end;
    const s = l.sessions[l.sessions.length - 1]?.server;
    rows.push([`${l.width}x${l.height}, chromium`, String(v.bytes_copied_per_frame_before_send),
      String(s?.viewer?.bytes_copied_per_frame ?? '–'), String(s?.viewer?.payload_bytes_sent && s.viewer.frames_sent
        ? Math.round(s.viewer.payload_bytes_sent / s.viewer.frames_sent) : '–')]);
  }
  for (const r of result.cpu.runs.filter((x) => x.viewers > 0 && x.round === 1)) {
    rows.push([`${result.cpu.width}x${result.cpu.height}, ${r.viewers} whep-load viewer(s)`,
      String(r.server.bytes_copied_per_frame_before_send), String(r.server.bytes_copied_per_viewer_frame ?? '–'),
      String(r.server.payload_bytes_per_viewer_frame ?? '–')]);
  }
  return table(['run', 'bytes copied per frame before send', 'bytes copied per frame per viewer', 'payload bytes per frame per viewer'], rows);
}

// The CPU part again with the viewers behind a TAP (bench/lib/fanout-link.mjs).
function linkSection(link, cpu) {
  if (!link) return '';
  if (link.skipped) return `## The fan-out behind a network device\n\nSkipped: ${link.skipped}.\n`;
  const loopback = (n) => (cpu?.runs || []).filter((r) => r.viewers === n && r.server.encode_end_to_last_send_us)
    .map((r) => f(ms(r.server.encode_end_to_last_send_us.median), 2)).join(', ') || '–';
  const netem = (r) => r.top_other_processes.find((p) => p.comm === 'netem-tun')?.pct;
  const rows = link.runs.filter((r) => r.viewers > 0).map((r) => {
    const fv = r.server.frame_viewers, s = r.server.encode_end_to_last_send_us, t = r.receiver?.totals;
    return [String(r.viewers), String(r.round), frameViewers(fv),
      f(ms(s?.median), 2), f(ms(s?.p95), 2), loopback(r.viewers), f(r.service_pct), f(netem(r)), f(r.receiver_pct),
      t ? `${t.lost} / ${t.packets}` : '–', t ? String(t.decrypt_failures) : '–'];
  });
  const l = link.link || {};
  return `## The fan-out behind a network device (${link.width}x${link.height}@${link.fps}, ${link.window_s} s windows)

The CPU part's service and \`whep-load\` viewers again, but the viewers in another network namespace and
everything the service sends queued at a TAP device that \`tests/net/netem-tun\` reads and forwards
${link.delay_ms} ms later, as a NIC's transmit ring takes packets and a network carries them. On loopback
(above) the kernel delivers each datagram into its receiver's socket inside the sender's \`sendmmsg\`, so
"last send" there includes the receivers' kernel path; here the sender's call ends at the device's queue,
and the sender segments its UDP GSO batches in software itself (the TAP takes no offloads, like a Pi's
GENET). netem-tun still takes each packet off the TAP at once, on the other core during the fan-out; the
forwarding and the receivers run ${link.delay_ms} ms later, between frames, on the same two cores. A second
figure of the sender, not a replacement for the loopback one, and not a lighter one here. netem-tun forwarded ${l.sent ?? '–'} of ${l.received ?? '–'} packets (${l.overflow ?? '–'} over its
limit); the TAP's queue (${l.tap_queue ?? '–'} packets) dropped ${l.tap_dropped ?? '–'}. Service CPU, least squares:
${f(link.least_squares.intercept_pct)} % + ${f(link.least_squares.per_viewer_pct, 2)} % per viewer.

${table(['viewers', 'round', 'frames went to (viewers)', 'encoder out → last send, median ms', 'p95 ms',
    'on loopback (CPU part), median ms', 'service %', 'netem-tun %', 'whep-load %', 'lost / packets (whep-load)',
    'decrypt failures'], rows)}
`;
}

function receiverLine(cpu) {
  const runs = cpu.runs.filter((r) => r.receiver && r.receiver.totals);
  return runs.map((r) => {
    const t = r.receiver.totals, c = r.receiver.capture_to_receive_us;
    return `| ${r.viewers} | ${r.round} | ${r.receiver.viewers_streaming}/${r.viewers} | ${t.frames} | ${t.packets} | ` +
      `${t.decrypt_failures} | ${t.lost} | ${c ? f(ms(c.median), 2) : '–'} | ${c ? f(ms(c.p95), 2) : '–'} |`;
  }).join('\n');
}

// Sound off and on, with the same whep-load --audio viewers (bench/lib/audio.mjs).
function audioSection(a) {
  if (!a) return '';
  if (a.skipped) return `## What the sound costs\n\nSkipped: ${a.skipped}.\n`;
  const runs = (xs) => xs.map((v) => f(v)).join(', ');
  const fit = a.least_squares ? ` Least squares over ${a.least_squares.pairs_used} of the ${a.least_squares.pairs} pairs
of the same round and count (contended ones left out when enough quiet ones remain): ${f(a.least_squares.intercept_pct, 2)} % +
${f(a.least_squares.per_viewer_pct, 2)} % per viewer. By round: * = a contended window in the pair.` : '';
  return `## What the sound costs (${a.width}x${a.height}@${a.fps}, ${a.window_s} s windows after ${a.warmup_s} s warm-up)

**${a.verdict.text}.**

The service's CPU (% of one core) with its sound off (\`--no-audio\`) and on (the default; here source
${a.source?.source ?? '?'}${a.source?.device ? ` (${a.source.device})` : ''}, Opus ${a.source?.frame_ms ?? '?'} ms frames), alternated round by round (off, on; then on, off), the same input, bitrate and whep-load
\`--audio\` viewers in both (the service with sound off rejects their audio section). *Sound costs* = on − off:
the audio thread (tone, level, Opus encoder) plus, per viewer, the network thread's RTP header, SRTP and send of
each Opus packet; *per viewer* = (cost(N) − cost(0)) / N. *Audio thread* = its own CPU over the window
(\`audio.cpu_ms\` from /api/status before and after); the two process figures carry the windows' noise (see
the runs), the thread's does not.${fit}
${a.click_offset ? `
**Audio against video at the sender: ${f(a.click_offset.median_ms)} ms.** whep-load decodes the Opus and times the
tone's clicks (one on each second of the wall clock the test pattern's frames are stamped with) through the audio's
sender reports: the median click sits ${f(a.click_offset.median_ms)} ms after its second (each run's median:
${a.click_offset.runs_ms.join(', ')}; ${a.click_offset.clicks} clicks; the sender stamps the sound with the time it
entered the encoder, libopus' 6.5 ms lookahead taken off). A receiver
that lip-syncs on the sender reports inherits this offset; what chromium adds is in the browser test's figure
(\`tests/browser/audio.test.mjs\`).
` : ''}
${table(['viewers', 'sound off %', 'runs', 'sound on %', 'runs', 'sound costs %', 'by round', 'per viewer %',
    'audio thread %', 'status cpu_percent', 'audio packets/s per viewer', 'whep-load audio packets', 'irregular steps',
    'decrypt failures', 'contended left out'],
  a.by_viewers.map((c) => [String(c.viewers), f(c.no_audio_pct), runs(c.no_audio_runs), f(c.sound_pct), runs(c.sound_runs),
    f(c.sound_cost_pct, 2), byRound(c), c.per_viewer_send_pct === null ? '–' : f(c.per_viewer_send_pct, 2),
    f(c.audio_thread_pct, 2), f(c.status_cpu_percent, 2), f(c.audio_packets_per_viewer_s),
    c.viewers ? c.receiver_audio_packets.join(', ') : '–', String(c.receiver_ts_irregular),
    String(c.receiver_decrypt_failures), String(c.contended_runs_left_out)]))}
`;
}

// The service feeding Janus (bench/lib/janus.mjs).
function janusSection(j) {
  if (!j) return '';
  if (j.skipped) return `## Many viewers through Janus\n\nSkipped: ${j.skipped}.\n`;
  const l = j.latency;
  return `## Many viewers through Janus (${j.width}x${j.height}@${j.fps}, ${j.bitrate_kbps} kbit/s, ${j.window_s} s windows)

The service with **one direct WHEP viewer** (no Janus): **${f(j.service_pct_direct_1_viewer)} %** of a core; the service
feeding a Janus 1.1.2 Streaming mountpoint (plain RTP on the namespace's own address) that serves **${j.viewers}
whep-load viewers** and a chromium: **${f(j.service_pct_janus)} %** (medians of ${j.rounds} alternated rounds; every viewer streaming:
${j.all_streaming ? 'yes' : '**no**'}). Janus itself: ${f(j.janus_pct)} % of a core, on the same two cores.
Capture → frame received in chromium (the barcode's stamp against requestVideoFrameCallback's receiveTime),
${l.sessions} alternated sessions of ${l.session_s} s each way: straight from the service **${f(l.direct_median_ms)} ms**,
through Janus **${f(l.janus_median_ms)} ms**: Janus adds **${f(l.added_by_janus_ms)} ms**.

${table(['round', 'direct: service %', 'via Janus: service %', 'feed only: service %', 'Janus %', 'Janus idle %',
    'whep-load %', 'streaming', 'frames', 'lost', 'audio packets', 'PLIs from Janus', 'chromium fps'],
  j.cpu.map((r, i) => [String(i + 1), f(r.direct.service_pct), f(r.janus.service_pct), f(r.janus.feed_only_service_pct),
    f(r.janus.janus_pct), f(r.janus.feed_only_janus_pct), f(r.janus.receiver_pct), `${r.janus.streaming}/${j.viewers}`,
    String(r.janus.frames ?? '–'), String(r.janus.lost ?? '–'), String(r.janus.audio_packets ?? '–'),
    String(r.janus.keyframe_requests ?? '–'), f(r.janus.chromium_fps)]))}

${table(['session', 'direct median ms', 'direct p95', 'through Janus median ms', 'through Janus p95'],
  l.direct.map((d, i) => [String(i + 1), f(d.median), f(d.p95), f(l.janus[i].median), f(l.janus[i].p95)]))}
`;
}

function kernelSection(k) {
  if (!k || k.skipped) return `## Recovery on real drivers (QEMU VM)\n\nSkipped: ${k?.skipped ?? 'not run'}.\n`;
  const row = (what, s) => [what, s ? String(s.count) : '0', f(s?.median_ms, 2), f(s?.p95_ms, 2), f(s?.max_ms, 2)];
  return `## Recovery on real drivers (QEMU VM)

\`tests/kernel/run.sh\` with kt-v4l2 and kt-service: vivid's HDMI input in a TCG VM (${k.kernel ?? '?'}), ${k.passed ?? '?'} passed,
${k.failed ?? '?'} failed, ${k.duration_s} s. *Service* = the source's own figure (input usable again → first frame
delivered; for a resolution change from the stop of the old stream); *seen from outside* = vivid control written →
first new driver frame reaching the consumer; a device's return (vivid unbound and bound again, or unloaded and
loaded, under a viewer) is timed by the service from the first new node in /dev to the first frame. TCG emulation: a
Pi is faster.

${table(['event', 'count', 'median ms', 'p95 ms', 'max ms'], [
    row('signal loss → return (service)', k.signal_loss_return?.internal),
    row('signal loss → return (seen from outside)', k.signal_loss_return?.external),
    row('resolution change (service)', k.resolution_change?.internal),
    row('resolution change (seen from outside)', k.resolution_change?.external),
    row('capture device removed → back (service)', k.device_return?.internal),
  ])}
${k.audio ? `
**Sound in the VM** (kt-audio: \`snd-aloop\` stands in for the bridge's I2S card, fed clicks on the guest's
wall-clock seconds, the test pattern's barcode on the same clock): the host's Chromium, watching through QEMU's
forwarded loopback ports, heard the clicks **${f(k.audio.chromium?.offset_ms)} ms** after the frames they belong to
(**${k.audio.verdict ?? '–'}**, issue 16's bound)
${k.audio.chromium?.why_not ? `(${k.audio.chromium.why_not})` : `(median over ${k.audio.chromium?.clicks} clicks,
${k.audio.chromium?.settled_s} s after unmuting, in a window during which chromium's lip sync moved the video's delay by
${f(k.audio.chromium?.moved_ms)} ms: settled when under 5 with the offset inside Chromium's 30 ms dead band, else
the last window host-viewer.mjs waits for)`}; whep-load in the guest timed
${k.audio.sender_clicks?.count ?? 0} clicks on the sender's clock (sender reports) at
${f(k.audio.sender_clicks?.median_ms, 2)} ms after their second (p95 ${f(k.audio.sender_clicks?.p95_ms, 2)} ms).
` : ''}${k.display ? displaySection(k.display) : ''}`;
}

// The stream with the local screen off and on (kt-display, vkms in the
// VM): the same vivid input, x264 and one whep-load viewer in both.
function displaySection(d) {
  const row = (name, s) => [name, String(s.windows), s.cpu_pct.map((x) => f(x, 1)).join(', '), f(s.cpu_pct_median, 1),
    (s.encoder_in_ms || []).map((x) => f(x, 2)).join(', ') || '–', f(s.encoder_in_ms_median, 2),
    (s.show_ms || []).map((x) => f(x, 3)).join(', ') || '–',
    s.send_ms.map((x) => f(x, 2)).join(', '), f(s.send_ms_median, 2)];
  return `
**The stream with a local screen** (kt-display: vkms's Virtual connector in the VM, vivid's 1280x720p30 scanned
out from the capture buffers themselves; x264 and one whep-load viewer in both; windows of 8 s after 3 s, off and
on alternated). Both captured as ${[...new Set([...(d.off.formats || []), ...(d.on.formats || [])])].join(', ') || '?'}
(\`capture-format=xrgb8888\`, what vkms scans out), so that the screen is all that differs: with the screen off
the service would take UYVY, whose conversion for x264 reads half the bytes (a Pi's bridge gives UYVY either
way). TCG emulation: the service's CPU includes x264 on an emulated CPU, near the two
emulated cores' limit, so the latency figures move by several ms from window to window either way. The
screen's work on the media thread (importing, the atomic commit) comes after the encoder call; capture → encoder
in (which holds x264's I420 conversion, the same in both) is where it would show if it came before. *Screen ms a
frame*: the display's own time in that call, mean per window (its status's \`show_us_mean\`).

${table(['screen', 'windows', 'service % of a core', 'median', 'capture → encoder in ms', 'median',
    'screen ms a frame', 'capture → first send ms', 'median'],
    [row('off', d.off), row('on', d.on)])}
`;
}

// Each side's stage timings, session by session (the median of each
// session's last 512 frames), from the alternated sessions.
function alternatedStageTable(h, r) {
  const keys = STAGES.filter((k) => [h, r].some((l) => (l?.session_stages || []).some((st) => st?.[k])));
  const cell = (l, k) => (l?.session_stages || []).map((st) => f(ms(st?.[k]?.median), 2)).join(', ');
  return table(['stage (per-session medians, ms)', 'hdmirtc', 'reference'],
    keys.map((k) => [k.replaceAll('_', ' '), cell(h, k) || '–', cell(r, k) || '–']));
}

function comparisonSection(result) {
  const ref = result.reference;
  if (!ref) return '';
  if (ref.skipped) return `## hdmirtc and the reference pipeline\n\nReference skipped: ${ref.skipped}.\n`;
  const rows = (result.comparison || []).map((c) => [c.what, f(c.hdmirtc, c.what.includes('kbit') ? 0 : 2),
    f(c.reference, c.what.includes('kbit') ? 0 : 2), c.ratio === null ? '–' : c.ratio.toFixed(2)]);
  const rl = ref.latency;
  const hl = ref.hdmirtc_alternated;
  const sessionLine = (name, l) => (l?.pooled ? `${name}: capture → receive per-session medians ${
    l.session_medians.capture_to_receive_ms.map((v) => f(v)).join(', ')} ms (p95 pooled ${f(l.pooled.capture_to_receive_ms.p95)});
glass to glass ${l.session_medians.glass_to_glass_ms.map((v) => f(v)).join(', ')} ms; kbit/s ${
    (l.session_kbit_s || []).map((v) => f(v, 0)).join(', ')}.${
    l.failed_sessions?.length ? ` Sessions that never played (left out): ${l.failed_sessions.join('; ')}.` : ''}`
    : `${name}: ${l?.skipped ?? 'no sessions'}.`);
  const otherResolutions = (ref.by_resolution || []).slice(1).map((b) => `### ${b.width}x${b.height}

${alternatedStageTable(b.hdmirtc, b.reference)}

${sessionLine('hdmirtc', b.hdmirtc)}

${sessionLine('Reference', b.reference)}
`).join('\n');
  return `## hdmirtc and the reference pipeline (same input, same machine)

Reference: ${ref.name} (${ref.gstreamer ?? '?'}): \`${ref.pipeline}\`. It paints hdmirtc's own test
pattern (barcode included) with hdmirtc's painter in its own process, straight into the buffers it pushes
into its appsrc, stamped first as the service stamps its frames; it serves the same player page behind a
minimal WHEP endpoint. Both at 5000 kbit/s, 30 fps. Latency comes from sessions alternated hdmirtc,
reference, hdmirtc, … (${ref.hdmirtc_alternated?.sessions?.length ?? 0} + ${rl?.sessions?.length ?? 0} at 1280x720;
each side alone on the machine, the same chromium); CPU at 1280x720. Ratio = hdmirtc / reference (below 1: hdmirtc is faster or cheaper). Glass-to-glass medians
move in 16.7 ms steps with chromium's vsync phase (see the README); capture → receive is the steadier
comparison. The reference's "first packet" is its payloader's output, before SRTP and the socket (earlier
than hdmirtc's first send).

${table(['figure', 'hdmirtc', 'reference', 'ratio'], rows)}

### 1280x720

${alternatedStageTable(hl, rl)}

${sessionLine('hdmirtc', hl)}

${sessionLine('Reference', rl)}

${otherResolutions}
${rl?.sessions ? browserTable([rl]).replace('| resolution |', '| reference |') : ''}

Reference CPU at 1280x720 (% of a core, ${ref.cpu.window_s} s windows):

${cpuTable(ref.cpu)}
`;
}

function memorySection(m) {
  if (!m) return '';
  if (m.skipped) return `## Memory soak (RSS of the service)\n\nSkipped: ${m.skipped}.\n`;
  const mb = (kb) => (Number.isFinite(kb) ? (kb / 1024).toFixed(1) : '–');
  const st = m.settled || {};
  const reading = (r) => (r ? `${mb(r.rss_kb)} MB, ${r.fds} fds, ${r.threads} threads (${f(r.t_s, 0)} s)` : '–');
  const parts = (m.cpu?.by_part || []).map((p) => [p.part, f(p.seconds, 0), f(p.soak_pct), f(p.machine_busy_pct)]);
  return `## Memory soak (RSS of the service)

**Verdict: ${m.verdict}** (RSS: "no growth" below ${m.no_growth_threshold_kb_per_min} kB/min over the second half;
descriptors and threads: the two settled readings below compared).

A second hdmirtc at ${m.width}x${m.height}@${m.fps} (${m.bitrate_kbit_s} kbit/s) under \`nice -n ${m.nice}\`, running beside the
whole suite for ${f(m.seconds, 0)} s (at least ${m.min_seconds} s): ${m.viewers} whep-load viewers streaming throughout
(${m.steady_relays} relay${m.steady_relays === 1 ? '' : 's'}), a viewer joining for ${m.churn_view_s} s every ${m.churn_every_s} s
(**${m.churn_cycles} churn cycles**, ${m.churn_failed} failed), an MJPEG client for ${m.mjpeg_s} s every ${m.mjpeg_every_s} s
(${m.mjpeg_clients} clients, ${m.mjpeg_parts} pictures, ${m.mjpeg_failed} failed), \`/api/status\` + \`/metrics\` on every sample
(${m.status_ok} + ${m.metrics_ok} ok, ${m.status_failed + m.metrics_failed} failed). VmRSS, VmHWM, threads and open
descriptors every ${m.interval_s} s; slopes are least-squares fits; the second half leaves out the start, where the frame
pools and buffers grow to their working size. Viewers streaming at the end: ${m.viewers_streaming_at_end ?? '–'}/${m.viewers}.

${table(['start MB', 'end MB', 'max MB', 'VmHWM MB', 'slope kB/min', 'second-half slope kB/min', 'fds min–max', 'threads min–max', 'samples'],
    [[mb(m.start_kb), mb(m.end_kb), mb(m.max_kb), mb(m.hwm_end_kb), f(m.slope_kb_per_min), f(m.second_half_slope_kb_per_min),
      m.fds ? `${m.fds.min}–${m.fds.max}` : '–', m.threads ? `${m.threads.min}–${m.threads.max}` : '–', String(m.samples.length)]])}

Settled readings (steady viewers only, no churn viewer or MJPEG client): after the first churn cycle and MJPEG
client ${reading(st.start)}; at the end ${reading(st.end)}.

Descriptor probe at the end (each kind of client a few times, settled state; the polls above share one
kept-alive connection and are not in it): **${m.fd_probe_verdict ?? '–'}**.

${table(['client', 'times', 'fds before', 'fds after', 'left per client'],
    (m.fd_probe || []).map((p) => [p.client, String(p.times), String(p.fds_before), String(p.fds_after), f(p.fds_left_per_client, 2)]))}

The soak's own CPU (service + its receivers, % of one core): **${f(m.cpu?.total_pct, 2)}** over the run (service
${f(m.cpu?.service_pct, 2)}, receivers ${f(m.cpu?.receivers_pct, 2)}); per part of the suite:

${table(['part', 's', 'soak % of a core', 'machine busy %'], parts)}
`;
}

function lossSection(l) {
  if (!l) return '';
  if (l.skipped) return `## Under 10% loss and 100 ms delay (network namespaces)\n\nSkipped: ${l.skipped}.\n`;
  const row = (name, w) => [name, f(w.seconds, 0), f(w.browser.fps), String(w.browser.freeze_count),
    f(w.browser.total_freezes_duration_s, 2), String(w.browser.frames_decoded), String(w.browser.packets_lost),
    f(w.service?.nacked_pct), String(w.browser.nack_count), String(w.service?.retransmitted ?? '–'),
    String(w.browser.pli_count), f(w.browser.current_rtt_ms), f(w.service?.rtt_ms), f(w.browser.jitter_buffer_ms),
    f(w.glass_to_glass_ms.median), f(w.glass_to_glass_ms.p95), f(w.capture_to_receive_ms?.median),
    f(w.capture_to_receive_ms?.p95), String(w.reconnects)];
  return `## Under 10% loss and 100 ms delay (network namespaces)

${l.width}x${l.height}@${l.fps}, ${l.encoder ?? '?'} at ${l.bitrate_kbit_s ?? '?'} kbit/s, one headless chromium in its own
namespace behind a router namespace (\`tests/net/netns.mjs\`, no NAT). \`impair('${l.spec}')\`: **delay applied:
${l.delay_applied}** — ${l.impairment}. Freezes as chromium counts them (\`freezeCount\`: a frame shown over
max(3 × the mean frame interval, mean + 150 ms) after the previous one). *Unrecovered* = chromium's \`packetsLost\`
(a retransmission in time makes up for a loss); *NACKed* = sequence numbers NACKed per packet sent (the service's count).

${table(['window', 's', 'fps', 'freezes', 'freeze s', 'frames decoded', 'unrecovered', 'NACKed %', 'NACKs', 'retransmitted',
    'PLI', 'RTT ms (chromium)', 'RTT ms (service)', 'jitter buffer ms', 'glass→glass median', 'p95',
    'capture→receive median', 'p95', 'reconnects'],
  [row('clean', l.clean), row('under loss', l.loss),
    ...(l.ice_tcp ? [row(`ICE-TCP, all UDP dropped (pair: ${l.ice_tcp.protocol})`, l.ice_tcp.window)] : [])])}
${l.ice_tcp ? `
The ICE-TCP row: a second topology whose router drops every UDP packet, no TURN server; the stream goes over the
service's passive TCP candidate (RFC 6544; service pair \`${l.ice_tcp.ice_pair}\`), no loss added. One session: its
glass→glass median sits on one of chromium's 16.7 ms presentation steps; capture→receive compares the paths.
` : ''}`;
}

export function renderKernelMarkdown(result) {
  const m = result.machine;
  return `# hdmirtc benchmark (kernel part) — ${result.date}

Commit \`${m.commit}\`${m.worktree_modified ? ' (with uncommitted changes)' : ''}; ${m.nproc} × ${m.cpu_model}, kernel ${m.kernel}.
Full figures: \`${result.json_file}\`.

${kernelSection(result.kernel)}`;
}

export function renderMarkdown(result) {
  const m = result.machine;
  const stageRows = [
    ...result.latency.map((l) => [`${l.width}x${l.height} chromium (last 512 frames)`, l.server_at_end.latency_us]),
    ...result.cpu.runs.filter((r) => r.round === 1 && r.viewers > 0).map((r) => [`${result.cpu.width}x${result.cpu.height}, ${r.viewers} whep-load`, r.server.latency_us]),
    ...(result.reference?.latency?.server_at_end?.latency_us
      ? [['reference 1280x720 chromium (last 512 frames)', result.reference.latency.server_at_end.latency_us]] : []),
  ];
  return `# hdmirtc benchmark — ${result.date}

Commit \`${m.commit}\`${m.worktree_modified ? ' (with uncommitted changes)' : ''}; ${m.nproc} × ${m.cpu_model}, kernel ${m.kernel}, ${m.os};
${m.chromium}; load average at start ${m.loadavg_at_start.join(' ')}. Source: test pattern, encoder: ${result.encoder ?? '–'}.
Service picked: source ${result.source ?? '–'}, encoder ${result.encoder ?? '–'}${result.slice_threads ? ` (${result.slice_threads} slice threads)` : ''}, ${sendPriority(result.send_priority)}; video hardware seen in sysfs: M2M encoder
${m.video_hardware?.m2m_encoder ?? 'none'}, HDMI bridge ${m.video_hardware?.hdmi_bridge ?? 'none'}.
Full figures: \`${result.json_file}\`${result.png_file ? `; plot: \`${result.png_file}\`` : ''}. How to read them: [bench/README.md](../README.md).
${result.png_file ? `\n![per-stage latency and CPU per viewer](${result.png_file})\n` : ''}
${comparisonSection(result)}
## Latency in headless chromium (ms)

Glass to glass = barcode capture wall time → \`requestVideoFrameCallback\` expectedDisplayTime;
capture → receive = capture → rVFC \`receiveTime\` (last packet of the frame), free of chromium's 60 Hz
presentation phase. Pooled = all samples of all sessions.

${latencyTable(result.latency)}

${browserTable(result.latency)}

## Server-side stages (from /api/status latency_us)

${stageTable(stageRows)}

## CPU per viewer (${result.cpu.width}x${result.cpu.height}@${result.cpu.fps}, ${result.cpu.window_s} s windows after ${result.cpu.warmup_s} s warm-up)

% of one core (utime+stime of the service process over the window). Per additional viewer =
(cpu(N) − cpu(0)) / N. Windows where other processes used over ${result.cpu.contended_other_pct} % of a core are
left out when the same count has a quiet window; the memory soak's CPU in the same window (soak %, niced, running
beside this part) is not counted as other. Least-squares fit over the runs used: ${f(result.cpu.least_squares.intercept_pct)} % + ${f(result.cpu.least_squares.per_viewer_pct, 2)} % per viewer.

${cpuTable(result.cpu)}

Sending after the encoder (the fan-out): per frame, the encoder's output → the last packet of the
frame handed to the last viewer's socket, from the service's last 512 frames once all of them went to
the run's viewers ("mixed" when they could not be waited for). "Sending begins" is a difference of
medians: near 0 when the media thread sends itself (the network thread asleep, status
\`handoff_direct\`), the hand-off's wake-up when it cannot. bench/whep-load decrypts every packet of
every viewer on the same cores, and loopback delivers each datagram inside the sender's system call.

${sendingTable(result.cpu)}

Receiver (bench/whep-load) over its whole run:

| viewers | round | streaming | frames | packets | decrypt failures | lost | capture→receive median ms | p95 ms |
|---|---|---|---|---|---|---|---|---|
${receiverLine(result.cpu)}

${linkSection(result.link, result.cpu)}
${audioSection(result.audio)}
${janusSection(result.janus)}
${lossSection(result.loss)}
${memorySection(result.memory)}
## Bytes copied per frame

${copyTable(result)}

${kernelSection(result.kernel)}`;
}
