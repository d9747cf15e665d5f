// The player page opened by a chromium that runs inside a network
// namespace (tests/net/netns.mjs), and what the namespace tests read from it.
import { launchChromium } from './chromium.mjs';
import { Topology } from '../../net/netns.mjs';

// Opens url in a chromium inside namespace ns of topo (tests/net/netns.mjs);
// resolves with { browser, page }.
// Every video frame's presentation time (wall clock, ms) goes to
// window.__frameTimes, for freeze and recovery measurements.
export async function openPlayerIn(topo, ns, url) {
  const { origin, hostname } = new URL(url);
  const bare = hostname.replace(/^\[|\]$/g, '');
  // chromium's flags keep it off DNS; the service's address must pass.
  const browser = await launchChromium([`--unsafely-treat-insecure-origin-as-secure=${origin}`,
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE ${hostname}, EXCLUDE ${bare}`],
  { executablePath: topo.chromiumWrapper(ns) });
  const page = await browser.newPage();
  // Every peer connection's story for failure reports (the player drops
  // its pc when it falls back).
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.__ice = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Native(...args);
      const story = { states: [], offer: null, answer: null };
      window.__ice.push(story);
      pc.addEventListener('iceconnectionstatechange', () => story.states.push(pc.iceConnectionState));
      const setRemote = pc.setRemoteDescription.bind(pc);
      pc.setRemoteDescription = (d) => { story.answer = d.sdp; return setRemote(d); };
      const setLocal = pc.setLocalDescription.bind(pc);
      pc.setLocalDescription = async (d) => { const r = await setLocal(d); story.offer = pc.localDescription.sdp; return r; };
      return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  });
  await page.addInitScript(() => {
    window.__frameTimes = [];
    const watch = () => {
      const video = document.getElementById('video');
      if (!video) return setTimeout(watch, 50);
      const onFrame = () => {
        window.__frameTimes.push(performance.timeOrigin + performance.now());
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    };
    document.addEventListener('DOMContentLoaded', watch);
  });
  page.on('pageerror', (e) => console.log(`page error (${ns}):`, e.message));
  for (let i = 0; ; i++) {
    try {
      await page.goto(url);
      break;
    } catch (e) {
      // chromium notices the namespace's fresh links once.
      if (i > 2 || !/ERR_NETWORK_CHANGED/.test(e.message)) throw e;
    }
  }
  return { browser, page };
}

// Waits for more than `frames` presented frames; on timeout prints what
// the page knows about its connections.
export async function waitFrames(page, frames = 60, timeout = 30000) {
  try {
    await page.waitForFunction((n) => window.hdmirtc.framesPresented > n, frames, { timeout, polling: 100 });
  } catch (e) {
    const why = await page.evaluate(async () => {
      const pc = window.hdmirtc.pc;
      const pairs = [];
      if (pc) (await pc.getStats()).forEach((r) => { if (r.type.includes('candidate')) pairs.push(r); });
      return JSON.stringify({ state: window.hdmirtc.state, reason: window.hdmirtc.fallbackReason,
        ice: window.__ice, stats: pairs }, null, 1);
    }).catch((err) => String(err));
    console.log(`# not playing:\n${why}`);
    throw e;
  }
}

export function frameTimes(page) {
  return page.evaluate(() => window.__frameTimes.slice());
}

// The longest time without a presented frame within [from, to] (wall ms),
// counting the edges; and the first frame after that gap.
export function longestGap(times, from, to) {
  let gap = 0, after = null, prev = from;
  for (const t of times.filter((x) => x >= from && x <= to)) {
    if (t - prev > gap) { gap = t - prev; after = t; }
    prev = t;
  }
  if (to - prev > gap) { gap = to - prev; after = null; }
  return { gapMs: gap, resumedAt: after };
}

export function inboundVideo(page) {
  return page.evaluate(async () => {
    let out = null;
    (await window.hdmirtc.pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') out = r;
    });
    return out && { freezeCount: out.freezeCount, framesDecoded: out.framesDecoded, bytesReceived: out.bytesReceived };
  });
}

// The browser's view of the selected pair and the answer it got.
export function browserIce(page) {
  return page.evaluate(async () => {
    const pc = window.hdmirtc.pc;
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((r) => byId.set(r.id, r));
    let pair = null;
    report.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId); });
    if (!pair) report.forEach((r) => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    const inbound = [...byId.values()].find((r) => r.type === 'inbound-rtp' && r.kind === 'video');
    return {
      answer: pc.remoteDescription?.sdp || '',
      local: pair && byId.get(pair.localCandidateId),
      remote: pair && byId.get(pair.remoteCandidateId),
      nackCount: inbound?.nackCount ?? 0,
      framesDecoded: inbound?.framesDecoded ?? 0,
    };
  });
}

export function candidates(sdp) {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
}

// A Topology(opts) brought up for fn(topo, keep), where keep(browser) hands
// over a browser to close; on failure the logs of what ran in it are
// printed; torn down in every case.
export async function withTopology(opts, fn) {
  const topo = new Topology(opts).up();
  let browser;
  try {
    await fn(topo, (b) => { browser = b; });
  } catch (e) {
    for (const c of topo.children) console.log(`--- ${c.label} log:\n${c.log.slice(-3000)}`);
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await topo.down();
  }
}
