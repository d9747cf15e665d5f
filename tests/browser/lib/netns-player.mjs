// The player page opened by a chromium that runs inside a network
// namespace (tests/net/netns.mjs), and what the namespace tests read from it.
import { writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './chromium.mjs';

// A wrapper script that starts chromium inside namespace ns; the DevTools
// pipe is inherited, so playwright drives it as usual.
function chromiumWrapper(ns, dir) {
  const file = path.join(dir, `chromium-in-${ns}`);
  const real = process.env.CHROMIUM_REAL || process.env.CHROMIUM || '/usr/bin/chromium';
  writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${ns} ${real} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

// Opens url in a chromium inside ns (scripts in dir); resolves with { browser, page }.
// Every video frame's presentation time (wall clock, ms) goes to
// window.__frameTimes, for freeze and recovery measurements.
export async function openPlayerIn(ns, url, dir) {
  const { origin, hostname } = new URL(url);
  const bare = hostname.replace(/^\[|\]$/g, '');
  // chromium's flags keep it off DNS; the service's address must pass.
  const browser = await launchChromium([`--unsafely-treat-insecure-origin-as-secure=${origin}`,
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE ${hostname}, EXCLUDE ${bare}`],
  { executablePath: chromiumWrapper(ns, dir) });
  const page = await browser.newPage();
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

export async function waitFrames(page, frames = 60, timeout = 30000) {
  await page.waitForFunction((n) => window.hdmirtc.framesPresented > n, frames, { timeout, polling: 100 });
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
