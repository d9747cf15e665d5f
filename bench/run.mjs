// SPDX-License-Identifier: GPL-3.0-or-later
// The benchmark suite (issues 3, 5, 7 and 16): latency in headless chromium,
// server-side stage latency, CPU per viewer with bench/whep-load (up to 64),
// what the sound costs (sound off and on, alternated), bytes copied per frame, the same figures of a reference pipeline
// (GStreamer webrtcbin) on the same input for ratios, recovery times in a
// QEMU VM, the stream under 10% loss and 100 ms delay in network
// namespaces (root), and a memory soak of at least 10 minutes.
// Started by bench/run.sh, which builds and sets HDMIRTC_BUILD_DIR; it only
// reports figures, it asserts no targets.
//
// Timeline: the soak (bench/lib/soak.mjs, a second service niced to 19 with
// its own viewers) starts first and runs in the background; then, one after
// the other, latency 720p and 1080p, CPU, the fan-out behind a network device,
// audio, reference, kernel (VM), loss;
// then the suite waits for the soak to reach its length (600 s) and writes
// the results: about 28 minutes in all on 2 cores.
//   node bench/run.mjs [--quick] [--no-soak] [--soak-seconds N] [--long]
//                      [--only PART[,PART...]] [--out DIR]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDir } from '../tests/browser/lib/service.mjs';
import { describeMachine, detectVideoHardware } from './lib/machine.mjs';
import { startSoak } from './lib/soak.mjs';
import { referenceMissing, referenceStarter, gstreamerVersion } from './lib/reference.mjs';
import { plotResults } from './lib/plot.mjs';
import { measureAlternated, measureLatency } from './lib/latency.mjs';
import { measureCpu } from './lib/cpu.mjs';
import { measureFanoutLink } from './lib/fanout-link.mjs';
import { measureAudio } from './lib/audio.mjs';
import { measureKernel } from './lib/kernel.mjs';
import { measureJanus } from './lib/janus.mjs';
import { lossMissing, measureIceTcp, measureLoss } from './lib/loss.mjs';
import { renderKernelMarkdown, renderMarkdown } from './lib/report.mjs';
import { appendHistory } from './lib/history.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const PARTS = ['latency', 'cpu', 'link', 'audio', 'reference', 'janus', 'kernel', 'loss', 'soak'];
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // no memory soak beside the timed parts (to see how much it disturbs them)
    'no-soak': { type: 'boolean', default: false },
    // the soak's minimum length (default 600, 60 with --quick)
    'soak-seconds': { type: 'string' },
    // a 30-minute soak (the suite then takes ~31 minutes)
    long: { type: 'boolean', default: false },
    // comma-separated parts of PARTS, for development: printed, and written
    // as <stamp>-only-<parts>.json only when --out is given ("memory" = "soak");
    // "kernel" alone: the VM recovery times, written as <stamp>-kernel.json and latest-kernel.md
    only: { type: 'string' },
    out: { type: 'string' } },
});
const outDir = args.out ?? path.join(here, 'results');
const only = args.only ? args.only.split(',').map((p) => (p === 'memory' ? 'soak' : p.trim())) : null;
for (const p of only ?? []) if (!PARTS.includes(p)) throw new Error(`--only: unknown part ${p} (${PARTS.join(', ')})`);
const quick = args.quick;   // a smoke run of the whole suite in ~2 minutes; figures not for keeping
const soakSeconds = Number(args['soak-seconds'] ?? (args.long ? 1800 : quick ? 60 : 600));
if (!(soakSeconds >= 10)) throw new Error('--soak-seconds: at least 10');
const plan = {
  resolutions: [[1280, 720], [1920, 1080]],
  fps: 30,
  sessions: quick ? 2 : 6,
  session_s: quick ? 3 : 8,
  cpu_counts: quick ? [0, 1, 4, 16] : [0, 1, 4, 16, 64],
  cpu_rounds: quick ? 1 : 2,
  cpu_warmup_s: quick ? 1 : 3,
  cpu_window_s: quick ? 3 : 10,
  // The CPU part's windows again with the viewers behind a network device
  // (bench/lib/fanout-link.mjs): the fan-out without loopback's delivery
  // inside the sender's call.
  link: { counts: quick ? [0, 16] : [0, 1, 16, 64], rounds: quick ? 1 : 2, delay_ms: 10 },
  // What the sound costs: sound off (--no-audio) and on (the default),
  // alternated round by round, the same whep-load --audio viewers in both,
  // with the CPU part's warm-up and windows; the issue's target.
  audio: { width: 1280, height: 720, counts: [0, 1, 4], rounds: quick ? 1 : 2, target_pct: 2 },
  // The reference: 1280x720 only, sessions alternated with hdmirtc's, both
  // at hdmirtc's default bitrate; one CPU round of 0/1/4.
  reference_sessions: quick ? 2 : 6,
  reference_resolutions: [[1280, 720], [1920, 1080]],
  reference_kbps: 5000,
  reference_cpu_counts: [0, 1, 4],
  reference_cpu_rounds: 1,
  // Janus fed by the service (issue 18): its CPU with one direct viewer
  // against Janus serving `viewers`, alternated; capture -> receive
  // straight and through Janus, alternated sessions.  1.5 Mbit/s on both
  // sides: at the default 5 Mbit/s Janus's 100 SRTP fan-outs take the
  // machine's two cores and drop packets at its input socket.
  janus: { width: 1280, height: 720, bitrate_kbps: 1500, viewers: quick ? 10 : 100, rounds: quick ? 1 : 2,
    latency_sessions: quick ? 1 : 4, session_s: quick ? 3 : 8 },
  // The loss part: one chromium viewer, a clean window, then the impairment.
  // Then the same viewer over ICE-TCP, all UDP dropped (issue 15).
  loss: { width: 1280, height: 720, spec: 'loss 10% delay 100ms', clean_s: quick ? 5 : 10, loss_s: quick ? 15 : 60,
    ice_tcp_s: quick ? 5 : 20 },
  // The memory soak, beside everything else (bench/lib/soak.mjs).
  soak: args['no-soak'] ? null : {
    width: 640, height: 360, fps: 30, bitrate: 1000, viewers: 2, min_seconds: soakSeconds,
    interval_s: quick ? 2 : 5, churn_every_s: quick ? 10 : 20, churn_view_s: quick ? 5 : 10,
    mjpeg_every_s: quick ? 15 : 60, mjpeg_s: 3,
  },
};

const log = (msg) => console.log(`# ${msg}`);

function utcStamp(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

// The recovery times on real drivers in a QEMU VM (bench/lib/kernel.mjs).
async function kernelOnly(started, machine) {
  const kernel = await measureKernel({ repo, buildDir, log });
  const name = 'latest-kernel.json';
  const result = { date: started.toISOString(), duration_s: Math.round((Date.now() - started) / 1000), machine,
    json_file: name, kernel };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, name), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(outDir, 'latest-kernel.md'), renderKernelMarkdown(result));
  appendHistory(outDir, result);
  log(`wrote ${path.join(outDir, name)} in ${result.duration_s} s`);
}

async function main() {
  if (only?.length === 1 && only[0] === 'kernel') {
    const started = new Date();
    return kernelOnly(started, describeMachine(repo, process.env.CHROMIUM || '/usr/bin/chromium'));
  }
  const whepLoad = path.join(buildDir, 'bench', 'whep-load');
  if (!existsSync(whepLoad)) throw new Error(`${whepLoad} is missing: is subdir('bench') in meson.build?`);
  const started = new Date();
  const machine = describeMachine(repo, process.env.CHROMIUM || '/usr/bin/chromium');
  log(`machine: ${machine.nproc} × ${machine.cpu_model}, kernel ${machine.kernel}, commit ${machine.commit}`);
  machine.video_hardware = detectVideoHardware();
  log(`video hardware: M2M encoder ${machine.video_hardware.m2m_encoder ?? 'none'}, HDMI bridge ${machine.video_hardware.hdmi_bridge ?? 'none'}`);
  const part = (name) => !only || only.includes(name);
  const p = plan.soak;
  const soak = p && part('soak') ? await startSoak({ whepLoad, width: p.width, height: p.height, fps: p.fps,
    bitrate: p.bitrate, viewers: p.viewers, minSeconds: p.min_seconds, intervalS: p.interval_s,
    churnEveryS: p.churn_every_s, churnViewS: p.churn_view_s, mjpegEveryS: p.mjpeg_every_s, mjpegS: p.mjpeg_s, log }) : null;
  // Each timed part, with the soak's CPU over it.
  const timed = async (name, fn, label = name) => {
    if (!part(name)) return null;
    const mark = soak?.partStart(label);
    const r = await fn();
    if (mark) soak.partEnd(mark);
    return r;
  };
  const background = () => soak?.pids() ?? [];
  let result;
  try {
    const latency = [];
    for (const [width, height] of plan.resolutions) {
      const l = await timed('latency', () => measureLatency({ width, height, fps: plan.fps, sessions: plan.sessions,
        seconds: plan.session_s, log }), `latency ${width}x${height}`);
      if (l) latency.push(l);
    }
    const cpu = await timed('cpu', () => measureCpu({
      whepLoad, width: 1280, height: 720, fps: plan.fps, counts: plan.cpu_counts, rounds: plan.cpu_rounds,
      warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, ncpu: machine.nproc, log, background,
    }));
    const link = await timed('link', () => measureFanoutLink({
      whepLoad, width: 1280, height: 720, fps: plan.fps, counts: plan.link.counts, rounds: plan.link.rounds,
      warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, ncpu: machine.nproc, log, delayMs: plan.link.delay_ms,
      background,
    }));
    const a = plan.audio;
    const audio = await timed('audio', () => measureAudio({
      whepLoad, width: a.width, height: a.height, fps: plan.fps, counts: a.counts, rounds: a.rounds,
      warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, ncpu: machine.nproc, log, targetPct: a.target_pct, background,
    }));
    const reference = await timed('reference', () => measureReference(machine, background));
    const j = plan.janus;
    const janus = await timed('janus', () => measureJanus({
      whepLoad, width: j.width, height: j.height, fps: plan.fps, bitrateKbps: j.bitrate_kbps, viewers: j.viewers,
      rounds: j.rounds,
      warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, latencySessions: j.latency_sessions,
      sessionS: j.session_s, log }));
    const kernel = quick && !only ? { skipped: 'not in --quick runs' }
      : await timed('kernel', () => measureKernel({ repo, buildDir, log }));
    const loss = await timed('loss', () => measureLossPart());
    const memory = soak ? await soak.finish() : { skipped: p ? 'not in this run' : '--no-soak' };
    const status = latency[0]?.server_at_end;
    result = {
      date: started.toISOString(), duration_s: null, quick, only, plan, machine,
      // What the service picked (GET /api/status): on a Pi the M2M encoder and the bridge.
      encoder: status?.encoder?.name ?? null, source: status?.source?.description ?? null,
      send_priority: status?.send_priority ?? null, slice_threads: status?.encoder?.slice_threads ?? null,
      json_file: null, png_file: null, latency, cpu, link, audio, memory, reference, janus, kernel, loss,
    };
  } catch (e) {
    if (soak) await soak.abort();
    throw e;
  }
  const stem = `${utcStamp(started)}-${machine.commit || 'unknown'}${quick ? '-quick' : ''}${only ? `-only-${only.join('-')}` : ''}`;
  result.json_file = `${stem}.json`;
  result.duration_s = Math.round((Date.now() - started) / 1000);
  if (only) {
    if (args.out) {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path.join(outDir, result.json_file), `${JSON.stringify(result, null, 1)}\n`);
      log(`wrote ${path.join(outDir, result.json_file)} in ${result.duration_s} s`);
    } else {
      log(`done in ${result.duration_s} s (--only: nothing written without --out)`);
    }
    return;
  }
  // A whole run replaces the last one (latest*.json, .png, .md) and adds
  // its line to history.jsonl (bench/lib/history.mjs).
  const latest = quick ? 'latest-quick' : 'latest';
  result.json_file = `${latest}.json`;
  result.comparison = compare(result);
  mkdirSync(outDir, { recursive: true });
  result.plot = plotResults(result, path.join(outDir, `${latest}.png`));
  result.png_file = result.plot.file ?? null;
  if (result.plot.skipped) log(`plot: skipped: ${result.plot.skipped}`);
  result.duration_s = Math.round((Date.now() - started) / 1000);
  writeFileSync(path.join(outDir, result.json_file), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(outDir, `${latest}.md`), renderMarkdown(result));
  appendHistory(outDir, result);
  log(`wrote ${path.join(outDir, result.json_file)} in ${result.duration_s} s`);
}

// The loss part, or why it is skipped (not root, no tc/nft).
async function measureLossPart() {
  const missing = lossMissing();
  if (missing) {
    log(`loss: skipped: ${missing}`);
    return { skipped: missing };
  }
  const l = plan.loss;
  const loss = await measureLoss({ width: l.width, height: l.height, fps: plan.fps, cleanS: l.clean_s, lossS: l.loss_s,
    spec: l.spec, log });
  loss.ice_tcp = await measureIceTcp({ width: l.width, height: l.height, fps: plan.fps, seconds: l.ice_tcp_s, log });
  return loss;
}

// The reference pipeline: chromium sessions alternated with hdmirtc's at
// each resolution, and CPU at 0/1/4 viewers at 1280x720, with the same
// drivers as hdmirtc's figures.
async function measureReference(machine, background) {
  const painter = path.join(buildDir, 'bench', 'libpattern-paint.so');
  const missing = referenceMissing(painter);
  if (missing) {
    log(`reference: skipped: ${missing}`);
    return { skipped: missing };
  }
  // x264's slice threads as the service's x264-threads = 0 picks them (src/encode/x264.c).
  const threads = Math.min(machine.nproc + 1, 8);
  const start = referenceStarter(painter, { bitrate: plan.reference_kbps, threads });
  const label = 'reference: ';
  // Latency in alternated sessions, hdmirtc then the reference, each alone
  // on the machine, in the same chromium, at each resolution.
  const byResolution = [];
  for (const [width, height] of plan.reference_resolutions) {
    const alt = await measureAlternated({ width, height, fps: plan.fps, sessions: plan.reference_sessions,
      seconds: plan.session_s, log, label, sides: { hdmirtc: null, reference: start } });
    byResolution.push({ width, height, hdmirtc: alt.hdmirtc, reference: alt.reference });
  }
  const alternated = byResolution[0];
  const latency = alternated.reference;
  const cpu = await measureCpu({
    whepLoad: path.join(buildDir, 'bench', 'whep-load'), width: 1280, height: 720, fps: plan.fps,
    counts: plan.reference_cpu_counts, rounds: plan.reference_cpu_rounds, warmupS: plan.cpu_warmup_s,
    windowS: plan.cpu_window_s, ncpu: machine.nproc, log, start, label, background,
  });
  return {
    name: 'GStreamer webrtcbin', gstreamer: gstreamerVersion(),
    pipeline: '(hdmirtc\'s painter, in-process) appsrc ! x264enc tune=zerolatency speed-preset=ultrafast ' +
      `threads=${threads} sliced-threads=true bitrate=5000 vbv-buf-capacity=50 key-int-max=300 ` +
      'option-string=fast-pskip=0 ! tee ! ' +
      '(per viewer) queue ! rtph264pay aggregate-mode=zero-latency ! webrtcbin',
    latency, hdmirtc_alternated: alternated.hdmirtc, by_resolution: byResolution, cpu,
  };
}

// hdmirtc / reference for the headline figures (1280x720).
function compare(result) {
  const ref = result.reference;
  if (!ref || ref.skipped) return null;
  // hdmirtc's sessions alternated with the reference's (same conditions).
  const hl = ref.hdmirtc_alternated?.pooled ? ref.hdmirtc_alternated : result.latency.find((l) => l.width === 1280);
  const rl = ref.latency;
  const medianOf = (xs) => { const v = (xs || []).filter(Number.isFinite).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
  const stage = (l, key) => medianOf((l?.session_stages || []).map((st) => st?.[key]?.median / 1000));
  const cpuAt = (cpu, n) => cpu?.by_viewers.find((c) => c.viewers === n)?.service_pct ?? null;
  const row = (what, h, r) => ({ what, hdmirtc: h, reference: r,
    ratio: Number.isFinite(h) && Number.isFinite(r) && r > 0 ? Number((h / r).toFixed(2)) : null });
  return [
    row('glass to glass, pooled median (ms)', hl?.pooled?.glass_to_glass_ms.median, rl?.pooled?.glass_to_glass_ms.median),
    ...(ref.by_resolution || []).map((b) => row(`capture → receive, pooled median, ${b.width}x${b.height} (ms)`,
      b.hdmirtc?.pooled?.capture_to_receive_ms.median, b.reference?.pooled?.capture_to_receive_ms.median)),
    row('capture → encoder in, median of session medians (ms)', stage(hl, 'capture_to_encode_start'), stage(rl, 'capture_to_encode_start')),
    row('capture → encoder out, median of session medians (ms)', stage(hl, 'capture_to_encode_end'), stage(rl, 'capture_to_encode_end')),
    row('achieved bitrate, median of sessions (kbit/s)', medianOf(hl?.session_kbit_s), medianOf(rl?.session_kbit_s)),
    row('CPU, 0 viewers (% of a core)', cpuAt(result.cpu, 0), cpuAt(ref.cpu, 0)),
    row('CPU, 1 viewer (% of a core)', cpuAt(result.cpu, 1), cpuAt(ref.cpu, 1)),
    row('CPU, 4 viewers (% of a core)', cpuAt(result.cpu, 4), cpuAt(ref.cpu, 4)),
  ];
}

main().catch((e) => { console.error(e); process.exit(1); });
