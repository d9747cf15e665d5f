// SPDX-License-Identifier: GPL-3.0-or-later
// Glass-to-glass and capture -> receive latency in headless chromium: several
// short sessions per resolution, a new page each, because chromium presents
// on its own 60 Hz clock and each session lands on a different phase of it
// (see bench/README.md).
import { launchChromium } from '../../tests/browser/lib/chromium.mjs';
import { startService, getStatus } from '../../tests/browser/lib/service.mjs';
import { summarize } from '../../tests/browser/lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

function stats(values) {
  const s = summarize(values);
  return { count: s.count, median: round(s.median), p95: round(s.p95), min: round(s.min), max: round(s.max) };
}

async function snapshot(page) {
  return page.evaluate(() => ({
    state: window.hdmirtc.state,
    n: window.hdmirtc.latencyMs.length,
    stats: { ...window.hdmirtc.stats },
    presented: window.hdmirtc.framesPresented,
    misses: window.hdmirtc.barcodeMisses,
    firstFrameMs: window.hdmirtc.firstFrameMs,
  }));
}

function delta(a, b, key) {
  return (b.stats[key] ?? 0) - (a.stats[key] ?? 0);
}

// Browser-side figures over the measured window (start..end snapshots).
function browserFigures(start, end, seconds) {
  const emitted = delta(start, end, 'jitterBufferEmittedCount');
  const decoded = delta(start, end, 'framesDecoded');
  return {
    fps: round(decoded / seconds, 1),
    kbit_s: round((delta(start, end, 'bytesReceived') * 8) / 1000 / seconds, 0),
    jitter_buffer_ms: emitted > 0 ? round((delta(start, end, 'jitterBufferDelay') / emitted) * 1000) : null,
    decode_ms: decoded > 0 ? round((delta(start, end, 'totalDecodeTime') / decoded) * 1000) : null,
    freezes: delta(start, end, 'freezeCount'),
    frames_dropped: delta(start, end, 'framesDropped'),
    packets_lost: delta(start, end, 'packetsLost'),
    nacks: delta(start, end, 'nackCount'),
    plis: delta(start, end, 'pliCount'),
    barcode_misses: end.misses - start.misses,
  };
}

function serverFigures(status) {
  const v = status.viewers.find((x) => x.state === 'streaming') || status.viewers[0] || null;
  return {
    latency_us: status.latency_us,
    frames_sent: status.frames_sent,
    bytes_copied_per_frame_before_send: status.bytes_copied_per_frame_before_send,
    encoder: status.encoder,
    source: status.source,
    send_priority: status.send_priority,
    viewer: v && {
      srtp: v.srtp, frames_sent: v.frames_sent, packets_sent: v.packets_sent,
      payload_bytes_sent: v.payload_bytes_sent, bytes_copied: v.bytes_copied,
      bytes_copied_per_frame: v.frames_sent ? Math.round(v.bytes_copied / v.frames_sent) : null,
      rtt_us: v.rtt_us, nack_seqs: v.nack_seqs, retransmitted: v.retransmitted, pli: v.pli,
    },
  };
}

async function oneSession(browser, url, { seconds, warmupFrames }) {
  const page = await browser.newPage();
  try {
    page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction((n) => window.hdmirtc.state === 'playing' && window.hdmirtc.framesPresented > n,
      warmupFrames, { timeout: 20000, polling: 100 });
    const start = await snapshot(page);
    await sleep(seconds * 1000);
    const end = await snapshot(page);
    const samples = await page.evaluate((from) => ({
      latencyMs: window.hdmirtc.latencyMs.slice(from),
      receiveMs: window.hdmirtc.receiveMs.slice(from),
    }), start.n);
    const status = await getStatus(url);
    return {
      first_frame_ms: round(start.firstFrameMs, 1),
      glass_to_glass_ms: stats(samples.latencyMs),
      capture_to_receive_ms: stats(samples.receiveMs),
      browser: browserFigures(start, end, seconds),
      server: serverFigures(status),
      samples,
    };
  } finally {
    await page.close({ runBeforeUnload: true }).catch(() => {});
  }
}

async function waitNoViewers(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await getStatus(url)).viewers.length === 0) return true;
    await sleep(100);
  }
  return false;
}

// Runs `sessions` sessions of `seconds` each at width x height @ fps.
// start: starts the server ({url, stop}); hdmirtc by default, the reference
// pipeline (bench/lib/reference.mjs) serves the same player page.
export async function measureLatency({ width, height, fps, sessions, seconds, log, start, label = '' }) {
  const service = start ? await start({ width, height, fps }) : await startService(['--width', String(width),
    '--height', String(height), '--fps', String(fps), '--max-viewers', '32', '--max-viewers-per-address', '32']);
  const browser = await launchChromium();
  const results = [];
  const failed = [];
  try {
    for (let i = 0; i < sessions; i++) {
      let r;
      try {
        r = await oneSession(browser, service.url, { seconds, warmupFrames: fps });
      } catch (e) {
        // One session that never plays (seen once with the reference: no
        // keyframe came) is reported, not the end of the suite.
        failed.push(`session ${i + 1}: ${e.message.split('\n')[0]}`);
        log(`${label}${width}x${height} session ${i + 1}/${sessions} failed: ${e.message.split('\n')[0]}`);
        continue;
      }
      results.push(r);
      log(`${label}${width}x${height} session ${i + 1}/${sessions}: glass-to-glass median ${r.glass_to_glass_ms.median} ms` +
        ` p95 ${r.glass_to_glass_ms.p95}; capture->receive median ${r.capture_to_receive_ms.median} ms` +
        ` p95 ${r.capture_to_receive_ms.p95} (n=${r.glass_to_glass_ms.count})`);
      if (!(await waitNoViewers(service.url, 5000))) log('  (the previous viewer is still listed; going on)');
    }
    if (!results.length) throw new Error(`${label}no session played: ${failed.join('; ')}`);
    const last = serverFigures(await getStatus(service.url));
    return { ...summarizeSessions({ width, height, fps, seconds }, results, last), failed_sessions: failed };
  } finally {
    await browser.close().catch(() => {});
    await service.stop();
  }
}

function summarizeSessions(config, results, lastStatus) {
  const pooled = (key) => stats(results.flatMap((r) => r.samples[key]));
  const perSession = (fn) => results.map(fn);
  return {
    ...config,
    sessions: results.map(({ samples, ...rest }) => ({
      ...rest,
      // The raw samples (ms, in presentation order), for histograms.
      samples: { glass_to_glass_ms: samples.latencyMs.map((v) => round(v)), capture_to_receive_ms: samples.receiveMs.map((v) => round(v)) },
    })),
    session_medians: {
      glass_to_glass_ms: perSession((r) => r.glass_to_glass_ms.median),
      capture_to_receive_ms: perSession((r) => r.capture_to_receive_ms.median),
    },
    pooled: {
      glass_to_glass_ms: pooled('latencyMs'),
      capture_to_receive_ms: pooled('receiveMs'),
    },
    // The last 512 frames sent, read after the last session.
    server_at_end: lastStatus,
  };
}

// hdmirtc and another server (the reference) in alternated sessions: each
// round starts one side alone, plays one session in the same chromium, stops
// it, then does the same for the other, so that a drift in the machine's
// load lands on both.  sides: { name: start, ... } (start({width, height,
// fps}) -> {url, stop}; null = hdmirtc).  Per side: the summary of
// measureLatency() plus each session's own server figures (the stage
// timings of its last 512 frames, read at its end) and achieved kbit/s.
export async function measureAlternated({ width, height, fps, sessions, seconds, log, sides, label = '' }) {
  const browser = await launchChromium();
  const names = Object.keys(sides);
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const failed = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let i = 0; i < sessions; i++) {
      for (const name of names) {
        const start = sides[name];
        const server = start ? await start({ width, height, fps })
          : await startService(['--width', String(width), '--height', String(height), '--fps', String(fps)]);
        try {
          const r = await oneSession(browser, server.url, { seconds, warmupFrames: fps });
          results[name].push(r);
          log(`${label}${name} session ${i + 1}/${sessions}: capture->receive median ${r.capture_to_receive_ms.median} ms` +
            ` (p95 ${r.capture_to_receive_ms.p95}), ${r.browser.kbit_s} kbit/s`);
        } catch (e) {
          failed[name].push(`session ${i + 1}: ${e.message.split('\n')[0]}`);
          log(`${label}${name} session ${i + 1}/${sessions} failed: ${e.message.split('\n')[0]}`);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }
  return Object.fromEntries(names.map((n) => [n, results[n].length ? {
    ...summarizeSessions({ width, height, fps, seconds }, results[n], results[n].at(-1).server),
    session_stages: results[n].map((r) => r.server.latency_us),
    session_kbit_s: results[n].map((r) => r.browser.kbit_s),
    failed_sessions: failed[n],
  } : { skipped: `no session played: ${failed[n].join('; ')}`, failed_sessions: failed[n] }]));
}
