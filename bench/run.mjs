// SPDX-License-Identifier: GPL-3.0-or-later
// The benchmark suite (issues 3 and 7): latency in headless chromium,
// server-side stage latency, CPU per viewer with bench/whep-load (up to 64),
// bytes copied per frame, memory over a longer run, and the same figures of
// a reference pipeline (GStreamer webrtcbin) on the same input for ratios.
// Started by bench/run.sh, which builds and sets HDMIRTC_BUILD_DIR; it only
// reports figures, it asserts no targets.
//   node bench/run.mjs [--quick] [--long] [--out DIR]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDir } from '../tests/browser/lib/service.mjs';
import { describeMachine, detectVideoHardware } from './lib/machine.mjs';
import { measureMemory } from './lib/memory.mjs';
import { referenceMissing, referenceStarter, gstreamerVersion } from './lib/reference.mjs';
import { plotResults } from './lib/plot.mjs';
import { measureLatency } from './lib/latency.mjs';
import { measureCpu } from './lib/cpu.mjs';
import { measureKernel } from './lib/kernel.mjs';
import { renderKernelMarkdown, renderMarkdown } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // the memory run for 10 minutes instead of 2 (the suite then takes ~23 minutes)
    long: { type: 'boolean', default: false },
    // "latency", "cpu", "memory" or "reference": one part, for development (writes no results);
    // "kernel": only the VM recovery times, written as <stamp>-kernel.json and latest-kernel.md
    only: { type: 'string' },
    out: { type: 'string', default: path.join(here, 'results') } },
});
const quick = args.quick;   // a smoke run of the whole suite in ~1 minute; figures not for keeping
const plan = {
  resolutions: [[1280, 720], [1920, 1080]],
  fps: 30,
  sessions: quick ? 2 : 6,
  session_s: quick ? 3 : 8,
  cpu_counts: quick ? [0, 1, 4, 16] : [0, 1, 4, 16, 64],
  cpu_rounds: quick ? 1 : 2,
  cpu_warmup_s: quick ? 1 : 3,
  cpu_window_s: quick ? 3 : 10,
  memory_viewers: 4,
  memory_s: quick ? 20 : args.long ? 600 : 120,
  memory_interval_s: quick ? 2 : 5,
  // The reference: 1280x720 only, fewer sessions, one CPU round of 0/1/4.
  reference_sessions: quick ? 2 : 4,
  reference_cpu_counts: [0, 1, 4],
  reference_cpu_rounds: 1,
};

const log = (msg) => console.log(`# ${msg}`);

function utcStamp(d) {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

// The recovery times on real drivers in a QEMU VM (bench/lib/kernel.mjs).
async function kernelOnly(started, machine) {
  const kernel = await measureKernel({ repo, buildDir, log });
  const name = `${utcStamp(started)}-${machine.commit || 'unknown'}-kernel.json`;
  const result = { date: started.toISOString(), duration_s: Math.round((Date.now() - started) / 1000), machine,
    json_file: name, kernel };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, name), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(args.out, 'latest-kernel.md'), renderKernelMarkdown(result));
  log(`wrote ${path.join(args.out, name)} in ${result.duration_s} s`);
}

async function main() {
  if (args.only === 'kernel') {
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
  const part = (name) => !args.only || args.only === name;
  const latency = [];
  for (const [width, height] of part('latency') ? plan.resolutions : []) {
    latency.push(await measureLatency({ width, height, fps: plan.fps, sessions: plan.sessions, seconds: plan.session_s, log }));
  }
  const cpu = part('cpu') ? await measureCpu({
    whepLoad, width: 1280, height: 720, fps: plan.fps, counts: plan.cpu_counts, rounds: plan.cpu_rounds,
    warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, ncpu: machine.nproc, log,
  }) : null;
  const memory = part('memory') ? await measureMemory({
    whepLoad, width: 1280, height: 720, fps: plan.fps, viewers: plan.memory_viewers, seconds: plan.memory_s,
    intervalS: plan.memory_interval_s, log,
  }) : null;
  const reference = part('reference') ? await measureReference(machine) : null;
  if (args.only) return;
  const kernel = quick ? { skipped: 'not in --quick runs' } : await measureKernel({ repo, buildDir, log });
  const stem = `${utcStamp(started)}-${machine.commit || 'unknown'}${quick ? '-quick' : ''}`;
  const name = `${stem}.json`;
  const status = latency[0]?.server_at_end;
  const result = {
    date: started.toISOString(), duration_s: null, quick, long: args.long, plan, machine,
    // What the service picked (GET /api/status): on a Pi the M2M encoder and the bridge.
    encoder: status?.encoder?.name ?? null, source: status?.source?.description ?? null,
    json_file: name, png_file: null, latency, cpu, memory, reference, kernel,
  };
  result.comparison = compare(result);
  mkdirSync(args.out, { recursive: true });
  result.plot = plotResults(result, path.join(args.out, `${stem}.png`));
  result.png_file = result.plot.file ?? null;
  if (result.plot.skipped) log(`plot: skipped: ${result.plot.skipped}`);
  result.duration_s = Math.round((Date.now() - started) / 1000);
  writeFileSync(path.join(args.out, name), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(args.out, quick ? 'latest-quick.md' : 'latest.md'), renderMarkdown(result));
  log(`wrote ${path.join(args.out, name)} in ${result.duration_s} s`);
}

// The reference pipeline at 1280x720: chromium sessions and CPU at 0/1/4
// viewers, with the same drivers as hdmirtc's figures.
async function measureReference(machine) {
  const patternPipe = path.join(buildDir, 'bench', 'pattern-pipe');
  const missing = referenceMissing(patternPipe);
  if (missing) {
    log(`reference: skipped: ${missing}`);
    return { skipped: missing };
  }
  const start = referenceStarter(patternPipe);
  const label = 'reference: ';
  const latency = await measureLatency({ width: 1280, height: 720, fps: plan.fps, sessions: plan.reference_sessions,
    seconds: plan.session_s, log, start, label });
  const cpu = await measureCpu({
    whepLoad: path.join(buildDir, 'bench', 'whep-load'), width: 1280, height: 720, fps: plan.fps,
    counts: plan.reference_cpu_counts, rounds: plan.reference_cpu_rounds, warmupS: plan.cpu_warmup_s,
    windowS: plan.cpu_window_s, ncpu: machine.nproc, log, start, label,
  });
  return {
    name: 'GStreamer webrtcbin', gstreamer: gstreamerVersion(),
    pipeline: 'bench/pattern-pipe | fdsrc ! rawvideoparse ! x264enc tune=zerolatency speed-preset=ultrafast ' +
      'threads=2 sliced-threads=true bitrate=5000 vbv-buf-capacity=50 key-int-max=300 ! tee ! ' +
      '(per viewer) queue ! rtph264pay aggregate-mode=zero-latency ! webrtcbin',
    latency, cpu,
  };
}

// hdmirtc / reference for the headline figures (1280x720).
function compare(result) {
  const ref = result.reference;
  if (!ref || ref.skipped) return null;
  const hl = result.latency.find((l) => l.width === 1280);
  const rl = ref.latency;
  const cpuAt = (cpu, n) => cpu?.by_viewers.find((c) => c.viewers === n)?.service_pct ?? null;
  const row = (what, h, r) => ({ what, hdmirtc: h, reference: r,
    ratio: Number.isFinite(h) && Number.isFinite(r) && r > 0 ? Number((h / r).toFixed(2)) : null });
  return [
    row('glass to glass, pooled median (ms)', hl?.pooled.glass_to_glass_ms.median, rl?.pooled.glass_to_glass_ms.median),
    row('capture → receive, pooled median (ms)', hl?.pooled.capture_to_receive_ms.median, rl?.pooled.capture_to_receive_ms.median),
    row('CPU, 0 viewers (% of a core)', cpuAt(result.cpu, 0), cpuAt(ref.cpu, 0)),
    row('CPU, 1 viewer (% of a core)', cpuAt(result.cpu, 1), cpuAt(ref.cpu, 1)),
    row('CPU, 4 viewers (% of a core)', cpuAt(result.cpu, 4), cpuAt(ref.cpu, 4)),
  ];
}

main().catch((e) => { console.error(e); process.exit(1); });
