// SPDX-License-Identifier: GPL-3.0-or-later
// Memory of the service over a longer run: VmRSS from /proc/PID/status every
// few seconds while bench/whep-load keeps a few viewers streaming.  Reported:
// start, end, max and the least-squares slope (kB per minute) over the whole
// run and over its second half (after the pools and caches have grown to
// their working size); a service that does not leak has a second-half slope
// near 0.
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { startService, getStatus } from '../../tests/browser/lib/service.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 1) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

function rssKb(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function slopeKbPerMin(points) {
  if (points.length < 3) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.t_s, 0) / n;
  const my = points.reduce((s, p) => s + p.rss_kb, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.t_s - mx) ** 2, 0);
  return sxx > 0 ? round((points.reduce((s, p) => s + (p.t_s - mx) * (p.rss_kb - my), 0) / sxx) * 60, 1) : null;
}

export async function measureMemory({ whepLoad, width, height, fps, viewers, seconds, intervalS, log }) {
  const service = await startService(['--width', String(width), '--height', String(height),
    '--fps', String(fps), '--max-viewers', String(viewers + 8)]);
  const load = spawn(whepLoad, ['--url', new URL('whep', service.url).href, '--viewers', String(viewers),
    '--duration', String(seconds + 5), '--connect-timeout', '15'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  load.stdout.on('data', (d) => { out += d; });
  load.stderr.on('data', (d) => { if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); });
  const exited = new Promise((r) => load.once('exit', (code) => r(code)));
  const samples = [];
  try {
    const t0 = Date.now();
    log(`memory: ${viewers} viewers for ${seconds} s, VmRSS every ${intervalS} s`);
    while (Date.now() - t0 < seconds * 1000) {
      samples.push({ t_s: round((Date.now() - t0) / 1000, 1), rss_kb: rssKb(service.child.pid) });
      await sleep(intervalS * 1000);
    }
    samples.push({ t_s: round((Date.now() - t0) / 1000, 1), rss_kb: rssKb(service.child.pid) });
    const status = await getStatus(service.url);
    const code = await Promise.race([exited, sleep(30000).then(() => null)]);
    if (code === null) load.kill('SIGKILL');
    const line = out.split('\n').find((l) => l.startsWith('{'));
    const summary = line ? JSON.parse(line) : null;
    const ok = samples.filter((s) => s.rss_kb !== null);
    const half = ok.filter((s) => s.t_s >= seconds / 2);
    const result = {
      width, height, fps, viewers, seconds, interval_s: intervalS,
      start_kb: ok[0]?.rss_kb ?? null, end_kb: ok[ok.length - 1]?.rss_kb ?? null,
      max_kb: ok.length ? Math.max(...ok.map((s) => s.rss_kb)) : null,
      slope_kb_per_min: slopeKbPerMin(ok), second_half_slope_kb_per_min: slopeKbPerMin(half),
      viewers_streaming_at_end: status.viewers.filter((v) => v.state === 'streaming').length,
      receiver: summary && { exit: code, viewers_streaming: summary.viewers_streaming, frames: summary.totals?.frames,
        decrypt_failures: summary.totals?.decrypt_failures, lost: summary.totals?.lost },
      samples,
    };
    log(`memory: RSS ${result.start_kb} -> ${result.end_kb} kB (max ${result.max_kb}), slope ` +
      `${result.slope_kb_per_min} kB/min, second half ${result.second_half_slope_kb_per_min} kB/min`);
    return result;
  } finally {
    if (load.exitCode === null) load.kill('SIGKILL');
    await service.stop();
  }
}
