// SPDX-License-Identifier: GPL-3.0-or-later
// The stream under 10% loss and 100 ms delay (issue 5: "freezes are
// recorded in bench/"): the network namespaces of tests/net/netns.mjs
// (service -- router -- browser, no NAT), hdmirtc in the service namespace,
// headless chromium in the browser namespace, one viewer.  A clean window
// first, then Topology.impair() on the service's uplink and a longer
// window under loss.  Reported per window from chromium's getStats()
// (freezes, frames, loss, NACK, PLI, RTT), from the service's /api/status
// (retransmissions, RTT, loss it was told) and glass to glass from the
// barcode (the namespaces share the host's clock).  Root only.
// Beside it, the same viewer over ICE-TCP (issue 15): a second topology
// whose router drops all UDP, no TURN: one clean window on that path.
import { execFileSync } from 'node:child_process';
import { Topology } from '../../tests/net/netns.mjs';
import { openPlayerIn } from '../../tests/browser/lib/netns-player.mjs';
import { summarize } from '../../tests/browser/lib/stats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (v, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);

// Why the part cannot run here, or null.
export function lossMissing() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tc, nft)';
  for (const tool of ['ip', 'nft', 'tc']) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch { return `needs ${tool}`; }
  }
  return null;
}

// chromium's inbound video figures, the selected pair's RTT, and where the
// player's sample lists are.
function snapshot(page) {
  return page.evaluate(async () => {
    const h = window.hdmirtc;
    const report = await h.pc.getStats();
    let inbound = null, pair = null;
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r;
      if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
    });
    const keys = ['framesDecoded', 'framesDropped', 'framesReceived', 'freezeCount', 'totalFreezesDuration',
      'pauseCount', 'totalPausesDuration', 'packetsLost', 'packetsReceived', 'nackCount', 'pliCount', 'firCount',
      'keyFramesDecoded', 'bytesReceived', 'jitterBufferDelay', 'jitterBufferEmittedCount', 'retransmittedPacketsReceived'];
    const v = {};
    for (const k of keys) v[k] = inbound?.[k] ?? null;
    return { at: performance.now(), connects: h.connects, state: h.state, n: h.latencyMs.length,
      inbound: v, rtt_ms: pair?.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : null };
  });
}

function viewerOf(status) {
  const v = status.viewers.find((x) => x.state === 'streaming') || status.viewers[0];
  return v ? { rtt_us: v.rtt_us, fraction_lost: v.fraction_lost, retransmitted: v.retransmitted, nack_seqs: v.nack_seqs,
    retransmit_missed: v.retransmit_missed, pli: v.pli, packets_sent: v.packets_sent, frames_sent: v.frames_sent,
    frames_skipped: v.frames_skipped, frames_dropped: v.frames_dropped } : null;
}

// The figures of one window, between snapshots a and b (status sa, sb).
async function windowFigures(page, a, b, sa, sb) {
  const s = (b.at - a.at) / 1000;
  const d = (k) => (b.inbound[k] === null || a.inbound[k] === null ? null : b.inbound[k] - a.inbound[k]);
  const samples = await page.evaluate((from) => ({ g2g: window.hdmirtc.latencyMs.slice(from),
    recv: window.hdmirtc.receiveMs.slice(from) }), a.n);
  const stats = (xs) => {
    const x = summarize(xs);
    return { count: x.count, median: round(x.median, 1), p95: round(x.p95, 1), max: round(x.max, 1) };
  };
  const emitted = d('jitterBufferEmittedCount');
  const va = viewerOf(sa), vb = viewerOf(sb);
  return {
    seconds: round(s, 1),
    reconnects: b.connects - a.connects,
    browser: {
      frames_decoded: d('framesDecoded'), fps: round(d('framesDecoded') / s, 1), frames_dropped: d('framesDropped'),
      freeze_count: d('freezeCount'), total_freezes_duration_s: round(d('totalFreezesDuration'), 3),
      pause_count: d('pauseCount'), total_pauses_duration_s: round(d('totalPausesDuration'), 3),
      // packetsLost counts what stayed missing: a retransmission that came
      // in time makes up for its loss.
      packets_received: d('packetsReceived'), packets_lost: d('packetsLost'),
      retransmitted_packets_received: d('retransmittedPacketsReceived'),
      nack_count: d('nackCount'), pli_count: d('pliCount'), fir_count: d('firCount'), keyframes_decoded: d('keyFramesDecoded'),
      kbit_s: round((d('bytesReceived') * 8) / 1000 / s, 0),
      jitter_buffer_ms: emitted > 0 ? round((d('jitterBufferDelay') / emitted) * 1000, 1) : null,
      current_rtt_ms: round(b.rtt_ms, 1),
    },
    service: vb && {
      retransmitted: vb.retransmitted - (va?.retransmitted ?? 0), nack_seqs: vb.nack_seqs - (va?.nack_seqs ?? 0),
      retransmit_missed: vb.retransmit_missed - (va?.retransmit_missed ?? 0),
      pli: vb.pli - (va?.pli ?? 0), packets_sent: vb.packets_sent - (va?.packets_sent ?? 0),
      frames_skipped: vb.frames_skipped - (va?.frames_skipped ?? 0), frames_dropped: vb.frames_dropped - (va?.frames_dropped ?? 0),
      rtt_ms: Number.isFinite(vb.rtt_us) ? round(vb.rtt_us / 1000, 1) : null, fraction_lost: vb.fraction_lost,
      // Sequence numbers NACKed per packet sent: the loss chromium saw.
      nacked_pct: vb.packets_sent > (va?.packets_sent ?? 0)
        ? round((100 * (vb.nack_seqs - (va?.nack_seqs ?? 0))) / (vb.packets_sent - (va?.packets_sent ?? 0)), 1) : null,
    },
    glass_to_glass_ms: stats(samples.g2g),
    capture_to_receive_ms: stats(samples.recv),
  };
}

// A topology (Topology opts), hdmirtc in its service namespace (namespace
// addresses only, 10.77.1.2 <-> 203.0.113.2; STUN off) and the player in
// chromium in its browser namespace, playing; fn(topo, page); then all
// of it torn down.
async function withPlayingViewer(topoOpts, { width, height, fps }, fn) {
  const topo = new Topology(topoOpts).up();
  let browser;
  try {
    const service = await topo.startService(['--no-stun', '--no-ipv6', '--width', String(width), '--height', String(height),
      '--fps', String(fps)]);
    let page;
    ({ browser, page } = await openPlayerIn(topo, topo.br, service.url));
    await page.waitForFunction((n) => window.hdmirtc.framesPresented > n, fps, { timeout: 30000, polling: 200 });
    return await fn(topo, page);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await topo.down();
  }
}

// The figures of the next `seconds`, and the service's status at the end.
async function measureWindow(topo, page, seconds) {
  const a = await snapshot(page);
  const sa = topo.status();
  await sleep(seconds * 1000);
  const b = await snapshot(page);
  const sb = topo.status();
  return { figures: await windowFigures(page, a, b, sa, sb), status: sb };
}

// spec: the netem string given to Topology.impair().
export function measureLoss({ width, height, fps, cleanS, lossS, settleS = 3, spec = 'loss 10% delay 100ms', log }) {
  return withPlayingViewer({ nat: 'none' }, { width, height, fps }, async (topo, page) => {
    const { figures: clean, status: s1 } = await measureWindow(topo, page, cleanS);
    const delayApplied = await topo.impair(spec);
    log(`loss: clean ${clean.browser.fps} fps, ${clean.browser.freeze_count} freezes; impair('${spec}') -> ${delayApplied}`);
    await sleep(settleS * 1000);
    const { figures: lossy } = await measureWindow(topo, page, lossS);
    const b = lossy.browser;
    log(`loss: ${lossS} s under '${spec}' (delay applied: ${delayApplied}): ${b.fps} fps, ${b.freeze_count} freezes ` +
      `(${b.total_freezes_duration_s} s), NACKed ${lossy.service?.nacked_pct}% of packets, unrecovered ${b.packets_lost}, NACK ${b.nack_count}, PLI ${b.pli_count}, ` +
      `retransmitted ${lossy.service?.retransmitted}, RTT ${b.current_rtt_ms} ms (service ${lossy.service?.rtt_ms}), ` +
      `glass to glass median ${lossy.glass_to_glass_ms.median} ms`);
    return {
      width, height, fps, bitrate_kbit_s: s1.encoder?.bitrate_kbps ?? null, spec, delay_applied: delayApplied,
      impairment: delayApplied ? `netem ${spec} on the service's egress (tc netem, or tests/net/netem-tun ` +
        'where the kernel has no sch_netem)'
        : 'no netem and no netem-tun: random UDP loss in the router (both directions), no delay',
      clean_s: cleanS, loss_s: lossS, settle_s: settleS, encoder: s1.encoder?.name ?? null,
      clean, loss: lossy,
    };
  });
}

// The stream over ICE-TCP: the router drops every UDP packet and there is
// no TURN server, so the only path is the service's passive TCP candidate.
// One window of `seconds`, figures as measureLoss()'s; `protocol` is what
// chromium's selected pair says (tcp expected) and `ice_pair` the service's.
export function measureIceTcp({ width, height, fps, seconds, log }) {
  return withPlayingViewer({ nat: 'none', dropUdp: true }, { width, height, fps }, async (topo, page) => {
    const { figures: w, status } = await measureWindow(topo, page, seconds);
    const protocol = await page.evaluate(async () => {
      const report = await window.hdmirtc.pc.getStats();
      let local = null;
      report.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) local = report.get(report.get(r.selectedCandidatePairId).localCandidateId);
      });
      return local?.protocol ?? null;
    });
    const icePair = status.viewers.find((v) => v.state === 'streaming')?.ice_pair ?? null;
    log(`ice-tcp: ${seconds} s over ${protocol} (${icePair}): ${w.browser.fps} fps, ${w.browser.freeze_count} freezes, ` +
      `glass to glass median ${w.glass_to_glass_ms.median} ms`);
    return { width, height, fps, bitrate_kbit_s: status.encoder?.bitrate_kbps ?? null, protocol, ice_pair: icePair, window: w };
  });
}
