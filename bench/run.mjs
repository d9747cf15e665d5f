// SPDX-License-Identifier: GPL-3.0-or-later
// The benchmark suite (issue 3): latency in headless chromium, server-side
// stage latency, CPU per viewer with bench/whep-load, bytes copied per frame.
// Started by bench/run.sh, which builds and sets HDMIRTC_BUILD_DIR; it only
// reports figures, it asserts no targets.
//   node bench/run.mjs [--quick] [--out DIR]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildDir } from '../tests/browser/lib/service.mjs';
import { describeMachine } from './lib/machine.mjs';
import { measureLatency } from './lib/latency.mjs';
import { measureCpu } from './lib/cpu.mjs';
import { measureKernel } from './lib/kernel.mjs';
import { renderKernelMarkdown, renderMarkdown } from './lib/report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // "latency" or "cpu": one part, for development (writes no results);
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
  cpu_counts: [0, 1, 4, 16],
  cpu_rounds: quick ? 1 : 2,
  cpu_warmup_s: quick ? 1 : 3,
  cpu_window_s: quick ? 3 : 10,
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
  const latency = [];
  for (const [width, height] of args.only === 'cpu' ? [] : plan.resolutions) {
    latency.push(await measureLatency({ width, height, fps: plan.fps, sessions: plan.sessions, seconds: plan.session_s, log }));
  }
  if (args.only === 'latency') return;
  const cpu = await measureCpu({
    whepLoad, width: 1280, height: 720, fps: plan.fps, counts: plan.cpu_counts, rounds: plan.cpu_rounds,
    warmupS: plan.cpu_warmup_s, windowS: plan.cpu_window_s, ncpu: machine.nproc, log,
  });
  if (args.only) return;
  const kernel = quick ? { skipped: 'not in --quick runs' } : await measureKernel({ repo, buildDir, log });
  const name = `${utcStamp(started)}-${machine.commit || 'unknown'}${quick ? '-quick' : ''}.json`;
  const result = {
    date: started.toISOString(), duration_s: Math.round((Date.now() - started) / 1000), quick, plan, machine,
    encoder: latency[0]?.server_at_end.encoder?.name ?? null, json_file: name, latency, cpu, kernel,
  };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(path.join(args.out, name), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(path.join(args.out, quick ? 'latest-quick.md' : 'latest.md'), renderMarkdown(result));
  log(`wrote ${path.join(args.out, name)} in ${result.duration_s} s`);
}

main().catch((e) => { console.error(e); process.exit(1); });
