// The host's Chromium as a viewer of the service in the VM (issue 16:
// the clicks of the VM's sound card heard by a browser, and the session
// through the sound's loss and rate changes).  The guest's one link is
// QEMU's user network (run.sh: guest_nic), which forwards a loopback port
// to its HTTP port and UDP ports one to one; the service announces
// 127.0.0.1 as its public address, so Chromium's checks come in through
// the forward and the answers go back the same way.  Chromium's only
// candidates are on loopback (tests/browser/lib/chromium.mjs).
//
// Requests and answers are files in DIR (the share's out/), so that the
// guest's shell can drive it:
//   viewer-open        -> open the page, unmute, measure the A/V offset:
//                         viewer-av.json
//   viewer-mark-NAME   -> what the viewer has seen so far: viewer-NAME.json
//   viewer-end         -> the same in viewer-end.json, then exit
// A viewer that cannot run (no chromium) answers each with "skip".
//
// Usage: node host-viewer.mjs DIR URL
import { existsSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';

const [dir, url] = process.argv.slice(2);
if (!dir || !url) {
  console.error('usage: node host-viewer.mjs DIR URL');
  process.exit(2);
}
// The VM emulates its CPUs (TCG): everything there is several times
// slower than on the host.
const slow = 4;

const answer = (name, obj) => {
  // Whole or not at all: the guest polls for the file.
  const tmp = path.join(dir, `.${name}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(obj)}\n`);
  renameSync(tmp, path.join(dir, name));
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let launchChromium, waitPlaying, unmuteAndMeasure, describeAv, skip = null;
try {
  ({ launchChromium, waitPlaying } = await import('../browser/lib/chromium.mjs'));
  ({ unmuteAndMeasure, describeAv } = await import('../browser/lib/av-offset.mjs'));
  if (!existsSync(process.env.CHROMIUM || '/usr/bin/chromium')) skip = 'no chromium';
} catch (e) {
  skip = `no playwright-core (${e.message.split('\n')[0]})`;
}

let browser = null, page = null;
// run.sh stops us when the VM is done, whatever the guest asked.
process.on('SIGTERM', () => {
  (browser ? browser.close() : Promise.resolve()).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});

// What the viewer has seen: the page's own figures and the sound track's
// inbound statistics.
async function snapshot() {
  if (skip) return { skip };
  if (!page) return { error: 'the page is not open' };
  return page.evaluate(async () => {
    const p = window.hdmirtc;
    const s = { state: p.state, error: p.error, connects: p.connects, iceRestarts: p.iceRestarts,
      frames: p.framesPresented, freezes: p.stats.freezeCount ?? null, clicks: p.clicks, audio: p.audio,
      audioPeak: p.audioPeak,
      // The page counts a click only once chromium reports the sound's playout delay.
      audioPlayoutMs: p.stats.audioPlayoutMs ?? null,
      audioPackets: 0, pcState: p.pc ? p.pc.connectionState : null };
    if (p.pc) {
      // How the sound came out: samples made up for missing packets, and
      // the jitter buffer's delay (a starved guest sends late or not at all).
      (await p.pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') {
          Object.assign(s, { audioPackets: r.packetsReceived, audioLost: r.packetsLost,
            audioConcealedPct: r.totalSamplesReceived ? Math.round((1000 * r.concealedSamples) / r.totalSamplesReceived) / 10 : null,
            audioJitterBufferMs: r.jitterBufferEmittedCount ? Math.round((1000 * r.jitterBufferDelay) / r.jitterBufferEmittedCount) : null,
            // Time-stretching: samples the jitter buffer took out or put in.
            audioAccelerated: r.removedSamplesForAcceleration, audioDecelerated: r.insertedSamplesForDeceleration });
        }
      });
    }
    return s;
  });
}

async function open() {
  if (skip) return { skip };
  try {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(url, { timeout: 30000 });
    await waitPlaying(page, 60000);
    const m = await unmuteAndMeasure(page, { slow, settleMs: 30000 });
    console.log(`host-viewer: ${describeAv(m)}, ${m.newFreezes} freeze(s) meanwhile`);
    return { ...(await snapshot()), offset_ms: m.offsetMs, audio_ms: m.audioMs, video_ms: m.videoMs,
      muted_video_ms: m.mutedVideoMs, moved_ms: m.moved, windows: m.windows, settled_s: m.settledS,
      measured_clicks: m.clicks, measuring_freezes: m.newFreezes };
  } catch (e) {
    let seen = null;
    try { seen = await snapshot(); } catch { /* the page is gone */ }
    return { ...(seen || {}), error: e.message.split('\n')[0] };
  }
}

const handled = new Set();
const deadline = Date.now() + 30 * 60 * 1000;
answer('viewer-ready', { skip });
for (;;) {
  if (Date.now() > deadline) break;
  const requests = readdirSync(dir).filter((f) => /^viewer-(open|end|mark-[\w-]+)$/.test(f) && !handled.has(f));
  for (const req of requests.sort()) {
    handled.add(req);
    if (req === 'viewer-open') {
      answer('viewer-av.json', await open());
    } else {
      let seen;
      try { seen = await snapshot(); } catch (e) { seen = { error: e.message.split('\n')[0] }; }
      answer(`viewer-${req === 'viewer-end' ? 'end' : req.slice('viewer-mark-'.length)}.json`, seen);
    }
  }
  if (handled.has('viewer-end')) break;
  await sleep(100);
}
if (browser) await browser.close();
