// SPDX-License-Identifier: GPL-3.0-or-later
// CPU of the service with 0..N WHEP viewers, opened by bench/whep-load (a C
// receiver, so that no browser competes for the cores).  The service's
// utime+stime is read from /proc over a fixed window after a warm-up; the
// receiver's own CPU and the machine-wide load are reported beside it.
import { spawn } from 'node:child_process';
import { startService, getStatus } from '../../tests/browser/lib/service.mjs';
import { CLK_TCK, processTicks, machineTicks, allProcessTicks, topOthers } from './machine.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const round = (v, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

// Starts whep-load and resolves once it printed its ready line.
// extraArgs: more whep-load options (bench/lib/audio.mjs: --audio).
// wrap: a command to run it under (['ip', 'netns', 'exec', NS], which
// execs it: the child's pid is whep-load's).
function startLoad(binary, url, viewers, maxSeconds, extraArgs = [], wrap = []) {
  const [command, ...prefix] = [...wrap, binary];
  const child = spawn(command, [...prefix, '--url', new URL('whep', url).href, '--viewers', String(viewers),
    '--duration', String(maxSeconds), '--connect-timeout', '15', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`whep-load not ready after 40 s:\n${err}`)), 40000);
    child.stdout.on('data', () => {
      const m = out.match(/ready streaming=(\d+) failed=(\d+)/);
      if (m) { clearTimeout(timer); resolve({ streaming: Number(m[1]), failed: Number(m[2]) }); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`whep-load exited (${code}):\n${err}`)); });
  });
  return {
    child, ready, exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const how = await Promise.race([exited, sleep(15000).then(() => null)]);
      if (!how) { child.kill('SIGKILL'); await exited; }
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return { exit: await exited, summary: line ? JSON.parse(line) : null, stderr: err.slice(-2000) };
    },
  };
}

// pids[0] may be a list: the server's processes, counted together (the
// reference pipeline was once a GStreamer process plus the program feeding it).
function sample(pids) {
  const ticks = (p) => (Array.isArray(p) ? p.map(processTicks).reduce((a, t) => (a === null || t === null ? null : a + t), 0)
    : processTicks(p));
  return { at: process.hrtime.bigint(), ticks: pids.map(ticks), machine: machineTicks(), all: allProcessTicks() };
}

// % of one core used between a and b by the processes in `background` (the
// memory soak, bench/lib/soak.mjs, which runs beside this part): a process
// that started in between counts from zero, one that ended is left out.
function backgroundPct(a, b, seconds, background) {
  if (!background.length) return null;
  let ticks = 0;
  for (const pid of background) {
    const end = b.all.get(String(pid));
    if (end) ticks += end.ticks - (a.all.get(String(pid))?.ticks ?? 0);
  }
  return round((ticks / CLK_TCK / seconds) * 100, 1);
}

// Percent of one core for each pid, and the machine's busy share, between a and b.
function cpuBetween(a, b, ncpu, pids, background = []) {
  const seconds = Number(b.at - a.at) / 1e9;
  const pct = (i) => (a.ticks[i] === null || b.ticks[i] === null ? null
    : round(((b.ticks[i] - a.ticks[i]) / CLK_TCK / seconds) * 100, 1));
  const m = b.machine.total - a.machine.total;
  return {
    seconds: round(seconds, 2),
    service_pct: pct(0),
    receiver_pct: a.ticks.length > 1 ? pct(1) : null,
    machine_busy_pct: round(((b.machine.busy - a.machine.busy) / m) * 100 * ncpu, 1),
    machine_steal_pct: round(((b.machine.steal - a.machine.steal) / m) * 100 * ncpu, 1),
    soak_pct: backgroundPct(a, b, seconds, background),
    // New processes count from zero: their whole CPU time is inside the window or close to it.
    top_other_processes: topOthers(a.all, b.all, seconds, [...pids.flat(), ...background, process.pid]),
  };
}

function viewerFigures(status) {
  const v = (status.viewers || []).filter((x) => x.state === 'streaming');
  const sum = (k) => v.reduce((a, x) => a + (x[k] || 0), 0);
  const frames = sum('frames_sent');
  return {
    streaming: v.length,
    srtp: [...new Set(v.map((x) => x.srtp))],
    send_paths: [...new Set(v.map((x) => x.send_path))],
    bytes_copied_per_viewer_frame: frames ? Math.round(sum('bytes_copied') / frames) : null,
    payload_bytes_per_viewer_frame: frames ? Math.round(sum('payload_bytes_sent') / frames) : null,
    packets_per_viewer_frame: frames ? round(sum('packets_sent') / frames, 1) : null,
    retransmitted: sum('retransmitted'),
  };
}

// The server's stage figures cover its last 512 frames: read them once all
// of those went to this run's viewers (not to the previous run's, nor to
// the first viewers while the others were still joining), at most 20 s
// after the CPU window.  frame_viewers says whether that happened.
async function fullWindowStatus(service, viewers) {
  const deadline = Date.now() + 20000;
  let status;
  for (;;) {
    status = await statusOf(service);
    const fv = status.frame_viewers;
    if (!viewers || (fv && fv.min === viewers && fv.max === viewers) || Date.now() > deadline) return status;
    await sleep(500);
  }
}

// GET /api/status, or the service's own reader (service.status: one in a
// network namespace, bench/lib/fanout-link.mjs).
function statusOf(service) {
  return service.status ? service.status() : getStatus(service.url);
}

// pick: when given, what to keep of the status read right before and right
// after the window (outside it), as status_window {before, after}, for
// figures counted by the service over the same window.
// loadWrap: startLoad's wrap.
async function measureOne(service, whepLoad, viewers, { warmupS, windowS, ncpu, background, loadArgs = [], loadWrap = [],
  pick }) {
  const load = viewers > 0 ? startLoad(whepLoad, service.url, viewers, warmupS + windowS + 30, loadArgs, loadWrap) : null;
  try {
    const ready = load ? await load.ready : { streaming: 0, failed: 0 };
    await sleep(warmupS * 1000);
    const own = service.pids ?? service.child.pid;
    const pids = load ? [own, load.child.pid] : [own];
    const bg = background();
    const before = pick && pick(await statusOf(service));
    const a = sample(pids);
    await sleep(windowS * 1000);
    const b = sample(pids);
    const after = pick && pick(await statusOf(service));
    const status = await fullWindowStatus(service, viewers);
    const stopped = load ? await load.stop() : null;
    return {
      viewers, ready, ...cpuBetween(a, b, ncpu, pids, [...new Set([...bg, ...background()])]),
      ...(pick && { status_window: { before, after } }),
      server: {
        bytes_copied_per_frame_before_send: status.bytes_copied_per_frame_before_send,
        latency_us: status.latency_us, encode_end_to_last_send_us: status.encode_end_to_last_send_us,
        frame_viewers: status.frame_viewers, encoder: status.encoder, ...viewerFigures(status),
      },
      receiver: stopped && {
        exit: stopped.exit, stderr: stopped.stderr || undefined,
        ...(stopped.summary && { ...stopped.summary, sessions: undefined }),
      },
    };
  } finally {
    if (load && load.child.exitCode === null) load.child.kill('SIGKILL');
  }
}

// Waits (at most timeoutMs) until the whole machine uses under 40 % of one
// core over a second; returns the last reading.
async function waitQuiet(ncpu, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let pct;
  do {
    const a = machineTicks();
    await sleep(1000);
    const b = machineTicks();
    pct = round(((b.busy - a.busy) / (b.total - a.total)) * 100 * ncpu, 1);
  } while (pct > 40 && Date.now() < deadline);
  return pct;
}

async function waitNoViewers(service, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await statusOf(service)).viewers.length > 0) await sleep(100);
}

// Fits cpu = a + b * viewers by least squares; b is the cost of one viewer.
export function fitSlope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const b = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  return { intercept_pct: round(my - b * mx), per_viewer_pct: round(b) };
}

// A window where other processes used more than this (% of one core) is
// "contended": left out of the means when the same count has a quiet window.
const CONTENDED_OTHER_PCT = 30;

export function summarizeCpu(runs, counts) {
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const r of runs) {
    r.other_pct = round(r.machine_busy_pct - (r.service_pct || 0) - (r.receiver_pct || 0) - (r.soak_pct || 0), 1);
    r.contended = r.other_pct > CONTENDED_OTHER_PCT;
  }
  const used = [];
  const byCount = counts.map((n) => {
    const all = runs.filter((r) => r.viewers === n && r.service_pct !== null);
    const quiet = all.filter((r) => !r.contended);
    const rs = quiet.length ? quiet : all;
    used.push(...rs);
    return {
      viewers: n,
      service_pct: round(mean(rs.map((r) => r.service_pct)), 1),
      service_pct_runs: rs.map((r) => r.service_pct),
      contended_runs_left_out: all.length - rs.length,
      receiver_pct: n ? round(mean(rs.map((r) => r.receiver_pct)), 1) : null,
      machine_busy_pct: round(mean(rs.map((r) => r.machine_busy_pct)), 1),
      soak_pct: rs.some((r) => Number.isFinite(r.soak_pct)) ? round(mean(rs.map((r) => r.soak_pct || 0)), 1) : null,
    };
  });
  const base = byCount.find((c) => c.viewers === 0)?.service_pct;
  for (const c of byCount) {
    c.per_additional_viewer_pct = c.viewers && Number.isFinite(base) ? round((c.service_pct - base) / c.viewers) : null;
  }
  const fit = fitSlope(used.map((r) => ({ x: r.viewers, y: r.service_pct })));
  return { contended_other_pct: CONTENDED_OTHER_PCT, by_viewers: byCount, least_squares: fit };
}

// The service at width x height @ fps with room for every count's viewers
// (start: as in measureLatency, the reference pipeline instead of hdmirtc;
// args: more service options).
export function startMeasuredService({ width, height, fps, counts, start, args = [] }) {
  return start ? start({ width, height, fps }) : startService(['--width', String(width),
    '--height', String(height), '--fps', String(fps), '--max-viewers', String(Math.max(...counts) + 8),
    '--max-viewers-per-address', String(Math.max(...counts) + 8), ...args]);
}

// The encoder's first seconds (rate control) settle, and the chromium of
// the latency part has fully exited.
export async function settle(ncpu, log, label) {
  await sleep(3000);
  const quiet = await waitQuiet(ncpu, 15000);
  log(`${label}machine busy before the CPU windows: ${quiet}% of a core (service included)`);
}

// One window per count on a running service, up in odd rounds and down in
// even ones (round counts from 1), so that a drift of the machine's other
// load averages out over rounds; logs each.  opts: warmupS, windowS, ncpu,
// background, log, label, and measureOne's loadArgs, loadWrap and pick.
export async function measureCounts(service, whepLoad, counts, round, opts) {
  const runs = [];
  for (const n of round % 2 ? counts : [...counts].reverse()) {
    const run = await measureOne(service, whepLoad, n, opts);
    runs.push({ round, ...run });
    opts.log(`${opts.label}${n} viewer(s), round ${round}: service ${run.service_pct}% of a core, receiver ` +
      `${run.receiver_pct ?? '-'}%, machine busy ${run.machine_busy_pct}%` +
      (run.soak_pct !== null ? ` (soak ${run.soak_pct}%)` : '') +
      (run.top_other_processes[0] ? ` (most: ${run.top_other_processes[0].comm} ${run.top_other_processes[0].pct}%)` : '') +
      (n ? `, streaming ${run.ready.streaming}/${n}` : ''));
    await waitNoViewers(service, 5000);
  }
  return runs;
}

// measureCounts' rounds 1..rounds on one running service.
export async function measureRounds(service, whepLoad, counts, rounds, opts) {
  const runs = [];
  for (let r = 1; r <= rounds; r++) runs.push(...await measureCounts(service, whepLoad, counts, r, opts));
  return runs;
}

// Measures each count in `counts` `rounds` times (measureRounds).
// start: as in measureLatency (the reference pipeline instead of hdmirtc).
// background: returns the pids of the memory soak running meanwhile (its
// CPU is reported per window and not counted as "other processes").
export async function measureCpu({ whepLoad, width, height, fps, counts, rounds, warmupS, windowS, ncpu, log, start, label = '',
  background = () => [] }) {
  const service = await startMeasuredService({ width, height, fps, counts, start });
  let runs;
  try {
    await settle(ncpu, log, label);
    runs = await measureRounds(service, whepLoad, counts, rounds, { warmupS, windowS, ncpu, background, log, label });
  } finally {
    await service.stop();
  }
  return { width, height, fps, warmup_s: warmupS, window_s: windowS, clk_tck: CLK_TCK, runs, ...summarizeCpu(runs, counts) };
}
