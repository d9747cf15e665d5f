// SPDX-License-Identifier: GPL-3.0-or-later
// The service feeding a Janus SFU (issue 18), in network namespaces this
// part creates (root only; tests/net/netns.mjs): a private Janus 1.1.2 in
// the service's namespace (it gathers no ICE candidates on loopback).
//  - CPU: the service with one direct WHEP viewer and no Janus, against the
//    service feeding Janus that serves `viewers` whep-load sessions and a
//    chromium;
//    alternated round by round, the same windows as the CPU part.  Janus's
//    and whep-load's own CPU beside it: on this machine they share the
//    service's two cores.
//  - Latency: capture -> frame received in chromium (the barcode's stamp
//    against requestVideoFrameCallback's receiveTime), a session straight
//    from the service (WHEP) alternated with one through Janus, the same
//    service, the same browser namespace.
import { spawn } from 'node:child_process';
import { Topology, canRun, waitUntil } from '../../tests/net/netns.mjs';
import { startJanus, janusMissing } from '../../tests/net/janus.mjs';
import { openPlayerIn, waitFrames } from '../../tests/browser/lib/netns-player.mjs';
import { openJanusPlayer, waitJanusFrames, closeJanusPlayer } from '../../tests/browser/lib/janus-player.mjs';
import { summarize } from '../../tests/browser/lib/stats.mjs';
import { processTicks, CLK_TCK } from './machine.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
const MOUNTPOINT = 1;
const SVC_ADDRESS = '10.77.1.2';

export function janusPartMissing() {
  return canRun() || janusMissing() || null;
}

function stats(values) {
  const s = summarize(values);
  return { count: s.count, median: round(s.median), p95: round(s.p95) };
}

// whep-load in the service's namespace: WHEP to the service, or Janus
// sessions on the mountpoint.  Resolves once its ready line came.
function startLoad(topo, whepLoad, { janusUrl, viewers, seconds }) {
  const target = janusUrl ? ['--janus', janusUrl, '--mountpoint', String(MOUNTPOINT)]
    : ['--url', 'http://127.0.0.1:8080/whep'];
  const entry = topo.spawnIn(topo.svc, whepLoad, [...target, '--local-address', SVC_ADDRESS, '--audio',
    '--viewers', String(viewers), '--duration', String(seconds), '--connect-timeout', '30'], { label: 'whep-load' });
  const exited = new Promise((r) => entry.child.once('exit', (code, signal) => r({ code, signal })));
  const ready = (async () => {
    await waitUntil(() => /ready streaming=\d+/.test(entry.log) || entry.child.exitCode !== null, 90000,
      `whep-load not ready:\n${entry.log.slice(-2000)}`);
    const m = entry.log.match(/ready streaming=(\d+) failed=(\d+)/);
    if (!m) throw new Error(`whep-load exited:\n${entry.log.slice(-2000)}`);
    return { streaming: Number(m[1]), failed: Number(m[2]) };
  })();
  return {
    pid: entry.child.pid, ready,
    async stop() {
      if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill('SIGTERM');
      await Promise.race([exited, sleep(20000)]);
      const line = entry.log.split('\n').reverse().find((l) => l.startsWith('{'));
      return line ? JSON.parse(line) : null;
    },
  };
}

// % of one core of each pid over windowS seconds.
async function cpuWindow(pids, windowS) {
  const a = pids.map(processTicks), t0 = process.hrtime.bigint();
  await sleep(windowS * 1000);
  const b = pids.map(processTicks), s = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((_, i) => (a[i] === null || b[i] === null ? null : round(((b[i] - a[i]) / CLK_TCK / s) * 100, 1)));
}

async function stopService(service) {
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10000)]);
}

const serviceArgs = (c, janusUrl) => ['--no-stun', '--no-ipv6', '--width', String(c.width), '--height', String(c.height),
  '--fps', String(c.fps), '--bitrate', String(c.bitrateKbps), '--max-viewers', '8', ...(janusUrl ? ['--janus', janusUrl, '--janus-mountpoint', String(MOUNTPOINT)] : [])];

// One round: direct (a service without --janus, one WHEP viewer), then
// through Janus (a service feeding it, `viewers` sessions there).
async function cpuRound(topo, janus, whepLoad, c, log) {
  const direct = await topo.startService(serviceArgs(c));
  let out = {};
  try {
    const load = startLoad(topo, whepLoad, { viewers: 1, seconds: c.warmupS + c.windowS + 60 });
    const ready = await load.ready;
    await sleep(c.warmupS * 1000);
    const [service, receiver] = await cpuWindow([direct.child.pid, load.pid], c.windowS);
    const summary = await load.stop();
    out.direct = { service_pct: service, receiver_pct: receiver, streaming: ready.streaming,
      frames: summary?.totals?.frames ?? null, lost: summary?.totals?.lost ?? null };
  } finally {
    await stopService(direct);
  }
  const fed = await topo.startService(serviceArgs(c, janus.url));
  try {
    await waitUntil(() => topo.status().publications?.[0]?.state === 'feeding', 15000, 'not feeding Janus');
    await sleep(c.warmupS * 1000);
    const [feedOnly, janusIdle] = await cpuWindow([fed.child.pid, janus.child.pid], c.windowS);
    const load = startLoad(topo, whepLoad, { janusUrl: janus.url, viewers: c.viewers, seconds: c.warmupS + c.windowS + 180 });
    const ready = await load.ready;
    // And a chromium among them, in the browser's namespace.
    const chromium = await openJanusPlayer(topo, topo.br, janus.url, MOUNTPOINT);
    let service, janusPct, receiver, shown;
    try {
      await waitJanusFrames(chromium.page, 30, 30000);
      await sleep(c.warmupS * 1000);
      const before = await chromium.page.evaluate(() => window.__janus.framesPresented);
      [service, janusPct, receiver] = await cpuWindow([fed.child.pid, janus.child.pid, load.pid], c.windowS);
      shown = (await chromium.page.evaluate(() => window.__janus.framesPresented)) - before;
    } finally {
      await closeJanusPlayer(chromium);
    }
    const pub = topo.status().publications[0];
    const summary = await load.stop();
    out.janus = { service_pct: service, janus_pct: janusPct, receiver_pct: receiver, streaming: ready.streaming,
      chromium_fps: round(shown / c.windowS, 1),
      failed: ready.failed, feed_only_service_pct: feedOnly, feed_only_janus_pct: janusIdle,
      janus_viewers_seen: pub.janus_viewers ?? null, keyframe_requests: pub.keyframe_requests,
      feed_frames_dropped: pub.frames_dropped, frames: summary?.totals?.frames ?? null,
      lost: summary?.totals?.lost ?? null, audio_packets: summary?.totals?.audio_packets ?? null,
      viewers_audio_missing: summary?.viewers_audio_missing ?? null };
  } finally {
    await stopService(fed);
  }
  log(`janus cpu: direct 1 viewer ${out.direct.service_pct} %; via Janus ${out.janus.streaming}/${c.viewers} viewers ` +
    `${out.janus.service_pct} % (Janus ${out.janus.janus_pct} %, whep-load ${out.janus.receiver_pct} %, chromium among ` +
    `them at ${out.janus.chromium_fps} fps); feed only ` +
    `${out.janus.feed_only_service_pct} %`);
  return out;
}

// Samples of capture -> received (ms) over seconds, after 60 frames.
async function receiveSamples(page, key, seconds) {
  await page.evaluate((k) => { k === 'janus' ? window.__janus.receiveMs.length = 0 : window.hdmirtc.receiveMs.length = 0; }, key);
  await sleep(seconds * 1000);
  return page.evaluate((k) => (k === 'janus' ? window.__janus.receiveMs : window.hdmirtc.receiveMs).slice(), key);
}

async function latencyRound(topo, service, janus, c) {
  const out = {};
  const direct = await openPlayerIn(topo, topo.br, service.url);
  try {
    await waitFrames(direct.page, 60, 30000);
    out.direct = await receiveSamples(direct.page, 'direct', c.sessionS);
  } finally {
    await direct.browser.close().catch(() => {});
  }
  const via = await openJanusPlayer(topo, topo.br, janus.url, MOUNTPOINT);
  try {
    await waitJanusFrames(via.page, 60, 30000);
    out.janus = await receiveSamples(via.page, 'janus', c.sessionS);
  } finally {
    await closeJanusPlayer(via);
  }
  return out;
}

export async function measureJanus({ whepLoad, width = 1280, height = 720, fps = 30, bitrateKbps = 1500, viewers = 100,
  rounds = 2, warmupS = 3, windowS = 10, latencySessions = 4, sessionS = 8, log }) {
  const why = janusPartMissing();
  if (why) return { skipped: why };
  const c = { width, height, fps, bitrateKbps, viewers, warmupS, windowS, sessionS };
  const topo = new Topology({ nat: 'none' }).up();
  try {
    const janus = await startJanus(topo, topo.svc, {});
    const cpu = [];
    for (let r = 0; r < rounds; r++) cpu.push(await cpuRound(topo, janus, whepLoad, c, log));
    const service = await topo.startService(serviceArgs(c, janus.url));
    const direct = [], via = [];
    try {
      await waitUntil(() => topo.status().publications?.[0]?.state === 'feeding', 15000, 'not feeding Janus');
      for (let i = 0; i < latencySessions; i++) {
        const r = await latencyRound(topo, service, janus, c);
        direct.push(stats(r.direct));
        via.push(stats(r.janus));
        log(`janus latency session ${i + 1}/${latencySessions}: capture->receive direct ${direct.at(-1).median} ms, ` +
          `through Janus ${via.at(-1).median} ms`);
      }
    } finally {
      await stopService(service);
    }
    // The true median (the mean of the middle two of an even count):
    // stats.mjs's takes the upper one, which with two rounds is the max.
    const med = (list) => {
      const v = list.filter(Number.isFinite).sort((a, b) => a - b);
      return v.length ? round((v[(v.length - 1) >> 1] + v[v.length >> 1]) / 2) : null;
    };
    const directMedian = med(direct.map((s) => s.median)), viaMedian = med(via.map((s) => s.median));
    const directCpu = med(cpu.map((r) => r.direct.service_pct)), viaCpu = med(cpu.map((r) => r.janus.service_pct));
    return {
      width, height, fps, bitrate_kbps: bitrateKbps, viewers, rounds, window_s: windowS, cpu,
      service_pct_direct_1_viewer: directCpu,
      service_pct_janus: viaCpu,
      janus_pct: med(cpu.map((r) => r.janus.janus_pct)),
      all_streaming: cpu.every((r) => r.janus.streaming === viewers && r.direct.streaming === 1),
      latency: {
        sessions: latencySessions, session_s: sessionS,
        direct: direct, janus: via,
        direct_median_ms: directMedian, janus_median_ms: viaMedian,
        added_by_janus_ms: round(viaMedian - directMedian),
      },
    };
  } finally {
    await topo.down();
  }
}
