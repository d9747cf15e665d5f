// SPDX-License-Identifier: GPL-3.0-or-later
// What the sound costs (issue 16, acceptance 5: at most 2 % of a core): the
// service's CPU with its sound off (--no-audio) and on (the default:
// --audio=auto, the bridge's sound card if there is one, else the synthetic
// tone; Opus, 20 ms frames: the status says which), at the
// same size, frame rate and bitrate, with the same bench/whep-load viewers
// offering audio (--audio) in both: the service with sound off rejects the
// audio section, so the only difference is the sound.  The difference
// includes the audio thread (tone, level, Opus encoder) and, per viewer,
// the network thread's RTP header, SRTP and send of 50 packets a second
// (and the audio sender reports).  The two configurations alternate round
// by round (off, on; then on, off) and the counts go up then down, as in
// bench/lib/cpu.mjs, whose windows this part reuses, so that a drift of
// the machine's other load averages out.
import { CLK_TCK } from './machine.mjs';
import { fitSlope, measureCounts, round, settle, startMeasuredService, summarizeCpu } from './cpu.mjs';

const CONFIGS = [
  { name: 'no_audio', args: ['--no-audio'], label: 'sound off' },
  { name: 'sound', args: [], label: 'sound on' },
];

const mean = (xs) => { const v = xs.filter(Number.isFinite); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; };

// Read right before and right after each window (cpu.mjs measureOne's pick).
function audioStatus(status) {
  const on = (status.viewers || []).map((v) => v.audio).filter((a) => a?.on);
  const sum = (k) => on.reduce((s, a) => s + (a[k] || 0), 0);
  return {
    at_ms: performance.now(),
    audio: status.audio ?? null,
    viewers_audio_on: on.length,
    viewers_audio_packets_sent: sum('packets_sent'),
    viewers_audio_send_errors: sum('send_errors'),
  };
}

// The window's audio figures: the audio thread's CPU from its cpu_ms
// counter (the status's cpu_percent is only the last second), and the
// audio packets the service sent to the viewers.
function audioWindow(run) {
  const { before, after } = run.status_window;
  const seconds = (after.at_ms - before.at_ms) / 1000;
  const perS = (k) => (after[k] - before[k]) / seconds;
  const thread = before.audio && after.audio;
  return {
    audio_thread_pct: thread ? round(((after.audio.cpu_ms - before.audio.cpu_ms) / 1000 / seconds) * 100) : null,
    status_cpu_percent: after.audio?.cpu_percent ?? null,
    encoded_packets_per_s: thread ? round((after.audio.packets - before.audio.packets) / seconds, 1) : null,
    viewers_audio_on: after.viewers_audio_on,
    audio_packets_per_viewer_s: after.viewers_audio_on ? round(perS('viewers_audio_packets_sent') / after.viewers_audio_on, 1) : null,
    send_errors: after.viewers_audio_send_errors - before.viewers_audio_send_errors,
    dropped: after.audio?.dropped ?? null,
    resyncs: after.audio?.resyncs ?? null,
    encode_errors: after.audio?.encode_errors ?? null,
  };
}

// whep-load's audio counts over its whole run.
function receiverAudio(run) {
  const r = run.receiver;
  if (!r?.totals) return null;
  const t = r.totals;
  return { accepted: r.viewers_audio_accepted, missing: r.viewers_audio_missing, packets: t.audio_packets,
    bytes: t.audio_bytes, decrypt_failures: t.audio_decrypt_failures, lost: t.audio_lost,
    ts_irregular: t.audio_ts_irregular, ssrc_mismatch: t.audio_ssrc_mismatch,
    click_offset_us: r.audio_click_offset_us ?? null };
}

// One service per configuration and round, each count measured on it.
async function measureConfig(config, r, { whepLoad, width, height, fps, counts, warmupS, windowS, ncpu, log, background }) {
  const label = `audio, ${config.label}: `;
  const service = await startMeasuredService({ width, height, fps, counts, args: config.args });
  try {
    await settle(ncpu, log, label);
    const runs = await measureCounts(service, whepLoad, counts, r + 1, { warmupS, windowS, ncpu, background, log, label,
      loadArgs: ['--audio'], pick: audioStatus });
    return runs.map((run) => ({ config: config.name, ...run, audio: audioWindow(run), receiver_audio: receiverAudio(run) }));
  } finally {
    await service.stop();
  }
}

// The runs of the same round and count, sound off and on, and whether
// either window was contended.
function pairs(runs) {
  return runs.filter((r) => r.config === 'sound').map((on) => {
    const off = runs.find((r) => r.config === 'no_audio' && r.viewers === on.viewers && r.round === on.round);
    return off && Number.isFinite(on.service_pct) && Number.isFinite(off.service_pct)
      ? { viewers: on.viewers, round: on.round, cost_pct: round(on.service_pct - off.service_pct, 1),
        contended: on.contended || off.contended } : null;
  }).filter(Boolean);
}

// Per count: sound on − sound off (the means of section 3's rules), with
// each round's pair.
function compareCounts(summary, runs, counts) {
  const at = (name, n) => summary[name].by_viewers.find((c) => c.viewers === n);
  const rows = counts.map((n) => {
    const off = at('no_audio', n), on = at('sound', n);
    const sound = runs.filter((r) => r.config === 'sound' && r.viewers === n);
    return {
      viewers: n,
      no_audio_pct: off.service_pct, no_audio_runs: off.service_pct_runs,
      sound_pct: on.service_pct, sound_runs: on.service_pct_runs,
      sound_cost_pct: round(on.service_pct - off.service_pct),
      sound_cost_by_round: pairs(runs).filter((p) => p.viewers === n),
      audio_thread_pct: round(mean(sound.map((r) => r.audio.audio_thread_pct))),
      status_cpu_percent: round(mean(sound.map((r) => r.audio.status_cpu_percent))),
      audio_packets_per_viewer_s: n ? round(mean(sound.map((r) => r.audio.audio_packets_per_viewer_s)), 1) : null,
      receiver_audio_packets: sound.map((r) => r.receiver_audio?.packets ?? null),
      receiver_ts_irregular: sound.reduce((s, r) => s + (r.receiver_audio?.ts_irregular ?? 0), 0),
      receiver_decrypt_failures: runs.filter((r) => r.viewers === n)
        .reduce((s, r) => s + (r.receiver_audio?.decrypt_failures ?? 0), 0),
      contended_runs_left_out: off.contended_runs_left_out + on.contended_runs_left_out,
    };
  });
  const base = rows.find((c) => c.viewers === 0)?.sound_cost_pct;
  for (const c of rows) c.per_viewer_send_pct = c.viewers && Number.isFinite(base) ? round((c.sound_cost_pct - base) / c.viewers) : null;
  return rows;
}

// The pairs' differences fitted on the viewer count (intercept: the audio
// thread; slope: one viewer's sending); contended pairs are left out when
// enough quiet ones remain.
function fitCost(runs) {
  const all = pairs(runs);
  const quiet = all.filter((p) => !p.contended);
  const used = new Set(quiet.map((p) => p.viewers)).size > 1 ? quiet : all;
  if (new Set(used.map((p) => p.viewers)).size < 2) return null;
  return { ...fitSlope(used.map((p) => ({ x: p.viewers, y: p.cost_pct }))), pairs_used: used.length, pairs: all.length };
}

// "6.9, -2.4*": * = a contended window in the pair.
export const byRound = (c) => c.sound_cost_by_round.map((p) => `${p.cost_pct}${p.contended ? '*' : ''}`).join(', ');

// The verdict is on one viewer (a KVM's usual viewer); the thread's own
// figure beside it is free of the process-level noise.
function verdict(rows, targetPct) {
  const one = rows.find((c) => c.viewers === 1) ?? rows[rows.length - 1];
  const cost = one?.sound_cost_pct;
  if (!Number.isFinite(cost)) return { pass: null, text: 'no figure' };
  const pass = cost <= targetPct;
  return { pass, viewers: one.viewers, text: `${pass ? 'PASS' : 'FAIL'}: sound costs ${cost.toFixed(2)} % of a core with ` +
    `${one.viewers} viewer(s) (target ≤ ${targetPct} %); the audio thread alone ${one.audio_thread_pct ?? '–'} %` };
}

export async function measureAudio({ whepLoad, width, height, fps, counts, rounds, warmupS, windowS, ncpu, log,
  targetPct = 2, background = () => [] }) {
  const opts = { whepLoad, width, height, fps, counts, warmupS, windowS, ncpu, log, background };
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    for (const config of r % 2 ? [...CONFIGS].reverse() : CONFIGS) runs.push(...await measureConfig(config, r, opts));
  }
  const result = {
    width, height, fps, warmup_s: warmupS, window_s: windowS, clk_tck: CLK_TCK, target_pct: targetPct,
    configs: Object.fromEntries(CONFIGS.map((c) => [c.name, { service_args: c.args, whep_load_args: ['--audio'] }])),
    runs, ...summarizeAudio(runs, counts, targetPct),
  };
  logAudio(result, log);
  return result;
}

// The figures of the runs (also to redo them from a run's JSON).
export function summarizeAudio(runs, counts, targetPct) {
  const summary = Object.fromEntries(CONFIGS.map((c) => [c.name, summarizeCpu(runs.filter((r) => r.config === c.name), counts)]));
  const byViewers = compareCounts(summary, runs, counts);
  const status = runs.find((r) => r.config === 'sound' && r.status_window.after.audio)?.status_window.after.audio;
  return { source: status ? { source: status.source, device: status.device ?? null, rate: status.rate, frame_ms: status.frame_ms } : null,
    summary, by_viewers: byViewers, least_squares: fitCost(runs), verdict: verdict(byViewers, targetPct),
    click_offset: clickOffset(runs) };
}

// The tone's clicks on the sender's clock (whep-load-clicks.c): each run's
// median of its clicks, and their median.
function clickOffset(runs) {
  const medians = runs.map((r) => r.receiver_audio?.click_offset_us).filter(Boolean);
  if (!medians.length) return null;
  const ms = medians.map((m) => m.median / 1000).sort((a, b) => a - b);
  return { median_ms: round(ms[Math.floor(ms.length / 2)], 1), runs_ms: ms.map((v) => round(v, 1)),
    clicks: medians.reduce((s, m) => s + m.count, 0) };
}

function logAudio(result, log) {
  const src = result.source;
  log(`audio: sound on = source ${src?.source ?? '?'}${src?.device ? ` (${src.device})` : ''}, ${src?.rate ?? '?'} Hz, ` +
    `${src?.frame_ms ?? '?'} ms frames`);
  for (const c of result.by_viewers) {
    log(`audio: ${c.viewers} viewer(s): sound off ${c.no_audio_pct}%, sound on ${c.sound_pct}% of a core → sound costs ` +
      `${c.sound_cost_pct}% (by round: ${byRound(c)}); audio thread ${c.audio_thread_pct}% ` +
      `(status cpu_percent ${c.status_cpu_percent}%)` + (c.viewers ? `; per viewer ${c.per_viewer_send_pct}%, ` +
      `${c.audio_packets_per_viewer_s} audio packets/s each, whep-load got ${c.receiver_audio_packets.join(', ')} ` +
      `(irregular steps ${c.receiver_ts_irregular}, decrypt failures ${c.receiver_decrypt_failures})` : ''));
  }
  if (result.least_squares) {
    log(`audio: least squares over ${result.least_squares.pairs_used} of ${result.least_squares.pairs} pairs: ` +
      `${result.least_squares.intercept_pct}% + ${result.least_squares.per_viewer_pct}% per viewer (* = a contended window in the pair)`);
  }
  if (result.click_offset) {
    log(`audio: the tone's clicks on the sender's clock (sender reports): ${result.click_offset.median_ms} ms after ` +
      `their second (runs ${result.click_offset.runs_ms.join(', ')}; ${result.click_offset.clicks} clicks), the audio/video ` +
      'offset a lip-syncing receiver inherits');
  }
  log(`audio: ${result.verdict.text}`);
}
