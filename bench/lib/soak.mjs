// SPDX-License-Identifier: GPL-3.0-or-later
// The memory soak (issue 7: "memory (RSS) over a 10-minute run: no
// growth"): a second hdmirtc, started first and running beside the rest of
// the suite, niced to 19 (it and its receivers) so that it takes only the
// CPU the timed parts leave idle, at a small picture to keep it cheap.  It
// exercises what could leak: steady whep-load viewers kept streaming, a
// viewer joining and leaving every ~20 s (churn), an MJPEG client now and
// then, and /api/status + /metrics on every sample.  Every few seconds it
// reads VmRSS, VmHWM, threads and open descriptors of the service
// (bench/lib/memory.mjs); its own CPU (service + receivers) is kept per
// part of the suite so that the disturbance of the timed figures is known.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { startService, getStatus } from '../../tests/browser/lib/service.mjs';
import { CLK_TCK, processTicks, machineTicks } from './machine.mjs';
import { readProcMemory, summarizeMemory } from './memory.mjs';

const NICE = ['nice', '-n', '19'];
const BOUNDARY = '--hdmirtc-frame';   // src/http/http-mjpeg.c
const WHEP_LOAD_MAX_S = 600;          // whep-load's longest --duration
const round = (v, d = 1) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

// Sleeps that end early once the soak is told to stop.
class Stopper {
  constructor() { this.stopped = false; this.wakers = new Set(); }

  stop() { this.stopped = true; for (const w of this.wakers) w(); }

  sleep(ms) {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.wakers.delete(done); resolve(); };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}

// whep-load under nice; ready resolves with the streaming count (null if it
// exited first), exited with the exit code and its JSON summary.
function niceLoad(binary, url, viewers, seconds, track) {
  const child = spawn(NICE[0], [...NICE.slice(1), binary, '--url', new URL('whep', url).href,
    '--viewers', String(viewers), '--duration', String(seconds), '--connect-timeout', '15'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child.pid);
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(`[soak] ${d}`); });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    let summary = null;
    try { summary = line ? JSON.parse(line) : null; } catch { /* cut short */ }
    resolve({ code, signal, summary, stderr: err.slice(-500) });
  }));
  const ready = new Promise((resolve) => {
    child.stdout.on('data', () => {
      const m = out.match(/ready streaming=(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    exited.then(() => resolve(null));
  });
  return {
    child, ready, exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}

// CPU ticks of every process the soak started: the last reading of each
// (a process that has exited keeps the ticks it had when last read).
class TickBook {
  constructor() { this.last = new Map(); this.dead = new Set(); }

  track(pid) { if (pid) this.last.set(pid, 0); }

  refresh() {
    for (const pid of this.last.keys()) {
      if (this.dead.has(pid)) continue;
      const t = processTicks(pid);
      if (t === null) this.dead.add(pid);
      else this.last.set(pid, t);
    }
  }

  total(only) {
    this.refresh();
    let sum = 0;
    for (const [pid, t] of this.last) if (!only || only === pid) sum += t;
    return sum;
  }

  pids() { return [...this.last.keys()].filter((p) => !this.dead.has(p)); }
}

// One MJPEG client for `seconds`: counts bytes and boundaries.
async function mjpegClient(url, seconds) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), seconds * 1000);
  let bytes = 0, parts = 0, tail = '';
  try {
    const res = await fetch(new URL('stream.mjpeg', url), { signal: ctl.signal });
    if (!res.ok) return { ok: false, error: `HTTP ${res.status}` };
    for await (const chunk of res.body) {
      bytes += chunk.length;
      const text = tail + Buffer.from(chunk).toString('latin1');
      parts += text.split(BOUNDARY).length - 1;
      tail = text.slice(-BOUNDARY.length + 1);
    }
    return { ok: parts > 0, bytes, parts };
  } catch (e) {
    if (e.name === 'AbortError') return { ok: parts > 0, bytes, parts };
    return { ok: false, bytes, parts, error: String(e.message || e) };
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
}

// GET path with node:http through `agent`; resolves { ok, body }.
// headers: e.g. { Connection: 'close' }.
function httpGet(url, path, agent, headers = {}) {
  return new Promise((resolve) => {
    const req = http.get(new URL(path, url), { agent, headers, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ ok: res.statusCode === 200, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve({ ok: false }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false }));
  });
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// Open descriptors of the service added by each kind of client, done a few
// times in the settled state at the end: which client leaves a descriptor
// behind when it goes.  (libsoup 3.2's SoupServer, for one, never closes
// an idle keep-alive connection that the client closed: CLOSE-WAIT.)
async function fdProbe(spid, url, runViewer) {
  const fds = () => readProcMemory(spid)?.fds ?? null;
  const kinds = [
    ['HTTP GET /api/status, keep-alive, client closes the idle connection', 10, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      await httpGet(url, 'api/status', agent);
      agent.destroy();
    }],
    ['HTTP GET /api/status with Connection: close', 10, () => httpGet(url, 'api/status', false, { Connection: 'close' })],
    ['MJPEG client for 2 s (client closes mid-stream)', 6, () => mjpegClient(url, 2)],
    ['WHEP viewer (whep-load, 2 s, DELETE, exit)', 3, runViewer],
  ];
  const out = [];
  for (const [what, times, fn] of kinds) {
    const before = fds();
    for (let i = 0; i < times; i++) await fn();
    // The niced service may take a moment to notice a client gone.
    await wait(3000);
    const after = fds();
    out.push({ client: what, times, fds_before: before, fds_after: after,
      fds_left_per_client: before !== null && after !== null ? round((after - before) / times, 2) : null });
  }
  return out;
}

// Starts the soak; resolves once its steady viewers stream.  Returns
// { pids(), partStart(name), partEnd(mark), finish(), abort() }.
export async function startSoak({ whepLoad, width = 640, height = 360, fps = 30, bitrate = 1000, viewers = 2,
  minSeconds, intervalS = 5, churnEveryS = 20, churnViewS = 10, mjpegEveryS = 60, mjpegS = 3, log }) {
  const book = new TickBook();
  const service = await startService(['--width', String(width), '--height', String(height), '--fps', String(fps),
    '--bitrate', String(bitrate), '--max-viewers', String(2 * viewers + 4),
    '--max-viewers-per-address', String(2 * viewers + 4),
    // nice does not reach SCHED_RR: at the default send priority the soak's
    // fan-out would run ahead of the timed parts' work, not in their idle time
    '--send-priority', '0'], { wrap: NICE });
  const spid = service.child.pid;
  book.track(spid);
  const stopper = new Stopper();
  const counts = { churn_cycles: 0, churn_failed: 0, steady_relays: 0, mjpeg_clients: 0, mjpeg_failed: 0,
    mjpeg_parts: 0, status_ok: 0, status_failed: 0, metrics_ok: 0, metrics_failed: 0 };
  const active = { churn: null, mjpeg: false };
  const samples = [];
  const loads = new Set();   // every whep-load still running, for abort()
  const load = (n, seconds) => {
    const l = niceLoad(whepLoad, service.url, n, seconds, (p) => book.track(p));
    loads.add(l);
    l.exited.then(() => loads.delete(l));
    return l;
  };
  const settled = { start: null, end: null };
  const parts = [];
  let steady = load(viewers, WHEP_LOAD_MAX_S);
  const firstReady = await steady.ready;
  if (firstReady !== viewers) {
    await steady.stop();
    await service.stop();
    throw new Error(`soak: ${firstReady ?? 0}/${viewers} steady viewers streaming`);
  }
  let steadyUntil = Date.now() + WHEP_LOAD_MAX_S * 1000;
  const t0 = Date.now();
  const ticks0 = { service: book.total(spid), all: book.total(), machine: machineTicks() };
  log(`soak: hdmirtc ${width}x${height}@${fps} under nice 19, ${viewers} steady viewers, churn every ${churnEveryS} s, ` +
    `MJPEG every ${mjpegEveryS} s, at least ${minSeconds} s (in the background of the other parts)`);

  // The steady viewers: whep-load runs at most 600 s, so a new one joins a
  // minute before the old one leaves (the count never drops).
  const steadyLoop = (async () => {
    while (!stopper.stopped) {
      await stopper.sleep(steadyUntil - 60000 - Date.now());
      if (stopper.stopped) break;
      const next = load(viewers, WHEP_LOAD_MAX_S);
      if ((await next.ready) !== viewers) log('soak: a relay of the steady viewers did not stream');
      await steady.stop();
      steady = next;
      steadyUntil = Date.now() + WHEP_LOAD_MAX_S * 1000;
      counts.steady_relays++;
    }
  })();

  const churnLoop = (async () => {
    await stopper.sleep(5000);
    while (!stopper.stopped) {
      active.churn = load(1, churnViewS);
      const r = await active.churn.exited;
      active.churn = null;
      if (r.code === 0 && r.summary?.viewers_streaming === 1) counts.churn_cycles++;
      else {
        counts.churn_failed++;
        log(`soak: churn viewer failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').pop()}`);
      }
      await stopper.sleep((churnEveryS - churnViewS) * 1000);
    }
  })();

  const mjpegLoop = (async () => {
    await stopper.sleep(2000);
    while (!stopper.stopped) {
      active.mjpeg = true;
      const r = await mjpegClient(service.url, mjpegS);
      active.mjpeg = false;
      if (r.ok) { counts.mjpeg_clients++; counts.mjpeg_parts += r.parts; } else counts.mjpeg_failed++;
      await stopper.sleep(mjpegEveryS * 1000);
    }
  })();

  // One sample; the settled readings need the steady viewers alone.  The
  // polls share one kept-alive connection, as a scraper's would (what
  // closed connections leave behind is measured apart: fdProbe).
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const takeSample = async () => {
    const mem = readProcMemory(spid);
    let listed = null;
    const st = await httpGet(service.url, 'api/status', pollAgent);
    try {
      listed = JSON.parse(st.body).viewers.length;
      counts.status_ok++;
    } catch { counts.status_failed++; }
    if ((await httpGet(service.url, 'metrics', pollAgent)).ok) counts.metrics_ok++; else counts.metrics_failed++;
    const s = { t_s: round((Date.now() - t0) / 1000), ...(mem || { rss_kb: null }), viewers: listed,
      churn: Boolean(active.churn), mjpeg: active.mjpeg };
    samples.push(s);
    return s;
  };
  const quietNow = (s) => !active.churn && !active.mjpeg && s.viewers === viewers;
  let sampling = true;
  const sampleLoop = (async () => {
    while (sampling) {
      const s = await takeSample();
      // Settled start: after the first churn cycle and the first MJPEG
      // client (whatever they create once and keep is in it).
      if (!settled.start && counts.churn_cycles && counts.mjpeg_clients && quietNow(s)) settled.start = s;
      await new Promise((r) => setTimeout(r, intervalS * 1000));
    }
  })();

  const cpuNow = () => ({ at: Date.now(), soak: book.total(), machine: machineTicks() });
  return {
    pids: () => book.pids(),
    partStart: (name) => ({ name, ...cpuNow() }),
    partEnd(mark) {
      const b = cpuNow();
      const s = (b.at - mark.at) / 1000;
      const m = b.machine.total - mark.machine.total;
      const ncpu = m / CLK_TCK / s;
      parts.push({ part: mark.name, seconds: round(s), soak_pct: round(((b.soak - mark.soak) / CLK_TCK / s) * 100),
        machine_busy_pct: round(((b.machine.busy - mark.machine.busy) / m) * 100 * Math.round(ncpu)) });
    },
    async finish() {
      const left = minSeconds * 1000 - (Date.now() - t0);
      if (left > 0) {
        log(`soak: waiting ${Math.ceil(left / 1000)} s for the soak to reach ${minSeconds} s`);
        await new Promise((r) => setTimeout(r, left));
      }
      stopper.stop();
      await Promise.all([churnLoop, mjpegLoop, steadyLoop]);
      sampling = false;
      await sampleLoop;
      // Settled end: the churn viewer's DELETE has gone through.
      for (let i = 0; i < 50; i++) {
        const s = await takeSample();
        if (quietNow(s)) { settled.end = s; break; }
        await new Promise((r) => setTimeout(r, 200));
      }
      const seconds = (Date.now() - t0) / 1000;
      const ticks1 = { service: book.total(spid), all: book.total(), machine: machineTicks() };
      pollAgent.destroy();
      const probe = await fdProbe(spid, service.url, async () => { await load(1, 2).exited; });
      for (const p of probe) log(`soak: fd probe: ${p.client} × ${p.times}: ${p.fds_before} -> ${p.fds_after} fds`);
      let status = null;
      try { status = await getStatus(service.url); } catch { /* reported as null */ }
      const steadyEnd = await steady.stop();
      const exit = await service.stop();
      const pct = (a, b) => round(((b - a) / CLK_TCK / seconds) * 100, 2);
      const m = ticks1.machine.total - ticks0.machine.total;
      const result = {
        width, height, fps, bitrate_kbit_s: bitrate, nice: 19, viewers, min_seconds: minSeconds, seconds: round(seconds),
        interval_s: intervalS, churn_every_s: churnEveryS, churn_view_s: churnViewS, mjpeg_every_s: mjpegEveryS, mjpeg_s: mjpegS,
        ...counts,
        viewers_streaming_at_end: status ? status.viewers.filter((v) => v.state === 'streaming').length : null,
        service_exit: exit,
        steady_receiver_at_end: steadyEnd.summary && { exit: steadyEnd.code, viewers_streaming: steadyEnd.summary.viewers_streaming,
          frames: steadyEnd.summary.totals?.frames, decrypt_failures: steadyEnd.summary.totals?.decrypt_failures,
          lost: steadyEnd.summary.totals?.lost },
        cpu: {
          service_pct: pct(ticks0.service, ticks1.service),
          receivers_pct: pct(ticks0.all - ticks0.service, ticks1.all - ticks1.service),
          total_pct: pct(ticks0.all, ticks1.all),
          machine_busy_pct: round(((ticks1.machine.busy - ticks0.machine.busy) / m) * 100 * Math.round(m / CLK_TCK / seconds)),
          by_part: parts,
        },
        ...summarizeMemory(samples, seconds, settled),
        fd_probe: probe,
        samples,
      };
      const leaky = probe.filter((p) => p.fds_left_per_client >= 0.5);
      if (leaky.length) {
        result.fd_probe_verdict = `descriptors left behind: ${leaky.map((p) => `${p.fds_left_per_client} per ${p.client}`).join('; ')}`;
        if (result.verdict === 'no growth') result.verdict = `RSS no growth; ${result.fd_probe_verdict}`;
      } else {
        result.fd_probe_verdict = 'no descriptor left behind by any client';
      }
      log(`soak: ${result.seconds} s, RSS ${result.start_kb} -> ${result.end_kb} kB (max ${result.max_kb}), slope ` +
        `${result.slope_kb_per_min} kB/min, second half ${result.second_half_slope_kb_per_min} kB/min; fds ` +
        `${settled.start?.fds}->${settled.end?.fds}, threads ${settled.start?.threads}->${settled.end?.threads}; ` +
        `${counts.churn_cycles} churn cycles (${counts.churn_failed} failed), ${counts.mjpeg_clients} MJPEG clients; ` +
        `soak CPU ${result.cpu.total_pct}% of a core: ${result.verdict}`);
      return result;
    },
    async abort() {
      stopper.stop();
      sampling = false;
      pollAgent.destroy();
      await Promise.all([...loads].map((l) => l.stop().catch(() => {})));
      await service.stop().catch(() => {});
    },
  };
}
