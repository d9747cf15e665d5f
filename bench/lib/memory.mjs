// SPDX-License-Identifier: GPL-3.0-or-later
// Memory readings of one process and their summary: VmRSS, VmHWM and
// Threads from /proc/PID/status, open descriptors from /proc/PID/fd, and
// least-squares slopes over a run and over its second half (after the
// pools and caches have grown to their working size).  The soak
// (bench/lib/soak.mjs) samples these while it exercises the service.
import { readFileSync, readdirSync } from 'node:fs';

const round = (v, d = 1) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

// A second-half RSS slope under this (kB per minute) is "no growth".  Why
// 50: RSS moves in 4 kB pages and malloc hands memory back in steps of tens
// to hundreds of kB, so a clean service's slope over 5 minutes wanders by a
// few tens of kB/min either way; while the leaks worth catching are larger:
// one lost viewer session (ICE agent, DTLS/SRTP state, packet history:
// well over 100 kB) per churn cycle (3 a minute) is > 300 kB/min, 8 bytes
// per RTP packet sent (~300 packets/s here) is ~140 kB/min, 30 bytes per
// frame is ~55 kB/min.  A smaller per-frame leak needs a longer soak
// (--soak-seconds) to stand out of the noise.
export const NO_GROWTH_KB_PER_MIN = 50;

// One reading of pid, or null once it is gone.
export function readProcMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => {
      const m = status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
      return m ? Number(m[1]) : null;
    };
    let fds = null;
    try { fds = readdirSync(`/proc/${pid}/fd`).length; } catch { /* not ours to read */ }
    return { rss_kb: field('VmRSS'), hwm_kb: field('VmHWM'), threads: field('Threads'), fds };
  } catch {
    return null;
  }
}

// Least-squares slope of points[key] against t_s, per minute.
export function slopePerMin(points, key = 'rss_kb') {
  const p = points.filter((s) => Number.isFinite(s[key]));
  if (p.length < 3) return null;
  const n = p.length;
  const mx = p.reduce((s, q) => s + q.t_s, 0) / n;
  const my = p.reduce((s, q) => s + q[key], 0) / n;
  const sxx = p.reduce((s, q) => s + (q.t_s - mx) ** 2, 0);
  return sxx > 0 ? round((p.reduce((s, q) => s + (q.t_s - mx) * (q[key] - my), 0) / sxx) * 60, 1) : null;
}

function range(samples, key) {
  const v = samples.map((s) => s[key]).filter(Number.isFinite);
  return v.length ? { start: v[0], end: v[v.length - 1], min: Math.min(...v), max: Math.max(...v) } : null;
}

// samples: [{t_s, rss_kb, hwm_kb, threads, fds}]; settled: {start, end}
// readings taken with only the steady viewers connected (no churn viewer,
// no MJPEG client), at the start and at the end of the run.
export function summarizeMemory(samples, seconds, settled) {
  const ok = samples.filter((s) => Number.isFinite(s.rss_kb));
  const half = ok.filter((s) => s.t_s >= seconds / 2);
  const rss = range(ok, 'rss_kb');
  const out = {
    start_kb: rss?.start ?? null, end_kb: rss?.end ?? null, max_kb: rss?.max ?? null,
    hwm_end_kb: range(ok, 'hwm_kb')?.end ?? null,
    slope_kb_per_min: slopePerMin(ok), second_half_slope_kb_per_min: slopePerMin(half),
    fds: range(ok, 'fds'), threads: range(ok, 'threads'),
    settled,
    no_growth_threshold_kb_per_min: NO_GROWTH_KB_PER_MIN,
  };
  // RSS and descriptors/threads judged apart: a descriptor leak (e.g. a
  // connection never closed) says where to look even when RSS is flat.
  const slope = out.second_half_slope_kb_per_min;
  out.rss_verdict = !Number.isFinite(slope) ? 'too few samples'
    : slope < NO_GROWTH_KB_PER_MIN ? 'no growth' : `growth: +${slope} kB/min in the second half`;
  const grew = [];
  if (settled?.start && settled?.end) {
    if (settled.end.fds > settled.start.fds) grew.push(`fds ${settled.start.fds} -> ${settled.end.fds}`);
    if (settled.end.threads > settled.start.threads) grew.push(`threads ${settled.start.threads} -> ${settled.end.threads}`);
  }
  out.fd_thread_verdict = !(settled?.start && settled?.end) ? 'no settled readings'
    : grew.length ? `growth: ${grew.join(', ')}` : 'no growth';
  out.verdict = out.rss_verdict === 'no growth' && out.fd_thread_verdict === 'no growth' ? 'no growth'
    : `RSS ${out.rss_verdict}; fds/threads ${out.fd_thread_verdict}`;
  return out;
}
