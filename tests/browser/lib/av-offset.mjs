// The A/V offset a viewer of the player page sees with the synthetic tone
// (issue 16): each click is on a second of the sender's wall clock and the
// barcode stamps each frame with the same clock, so the page has a click's
// capture -> heard time (audioLatencyMs, modulo a second) beside a frame's
// capture -> presented time (latencyMs).  Used by tests/browser/audio.test
// (sender and viewer on one clock) and tests/kernel/host-viewer (the
// sender in the VM, whose clock is not the host's).
import { wrappedDiffMs } from '../../../web/audio-clicks.js';

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

// The median of the last n frame latencies.
function videoNow(page, n = 30) {
  return page.evaluate((count) => {
    const l = window.hdmirtc.latencyMs.slice(-count).sort((a, b) => a - b);
    return l[Math.floor(l.length / 2)];
  }, n);
}

// Chromium's lip sync moves the video's delay a step at a time while its
// own figures differ by more than this (kMinDeltaMs in WebRTC's
// stream_synchronization.cc).
const SYNC_DEAD_BAND_MS = 30;

// On a page that plays with the sound off: the video's delay, then Unmute
// and wait for eight clicks during which the video's delay stayed put
// with the offset inside Chromium's dead band, up to settleMs after
// unmuting.  Chromium's steps come now and then for 10-45 s: its first
// one 2-13 s after unmuting here, and between two of them the video can
// stay put for 10 s (50 ms behind the sound, then a 33 ms step), so a
// still window outside the dead band is a pause, not the end.  A sender
// whose sender reports misled the browser never gets inside it and is
// measured at settleMs.  Returns the figures; the caller asserts.
export async function unmuteAndMeasure(page, { slow = 1, settleMs = 60000 } = {}) {
  await page.waitForFunction(() => window.hdmirtc.latencyMs.length > 60, null, { timeout: 10000 * slow });
  const mutedVideoMs = median(await page.evaluate(() => window.hdmirtc.latencyMs.slice(-60)));
  await page.click('#unmute');
  const unmuted = await page.evaluate(() => ({ muted: document.getElementById('video').muted,
    button: document.getElementById('unmute').textContent }));
  const unmutedAt = Date.now();
  await page.waitForFunction(() => window.hdmirtc.audio && window.hdmirtc.clicks >= 3, null, { timeout: 15000 * slow });
  let p, moved, videoMs, offsetMs, windows = 0;
  const trace = [];
  do {
    windows++;
    // The page samples getStats once a second: a freeze from before this
    // window is in the figure by now.
    await new Promise((r) => setTimeout(r, 1500));
    const clicks0 = await page.evaluate(() => window.hdmirtc.audioLatencyMs.length);
    const freezes0 = await page.evaluate(() => window.hdmirtc.stats.freezeCount);
    const video0 = await videoNow(page);
    await page.waitForFunction((n) => window.hdmirtc.audioLatencyMs.length >= n + 8, clicks0,
      { timeout: 15000 * slow });
    p = await page.evaluate((n) => ({ audioMs: window.hdmirtc.audioLatencyMs.slice(n),
      videoMs: window.hdmirtc.latencyMs.slice(-240), figures: document.getElementById('figures').textContent,
      freezes: window.hdmirtc.stats.freezeCount }), clicks0);
    p.freezes0 = freezes0;
    moved = Math.abs((await videoNow(page)) - video0);
    videoMs = median(p.videoMs);
    offsetMs = median(p.audioMs.map((a) => wrappedDiffMs(a, videoMs)));
    trace.push(`${((Date.now() - unmutedAt) / 1000).toFixed(0)} s: moved ${moved.toFixed(0)}, A/V ${offsetMs.toFixed(0)}`);
  } while ((moved > 5 || Math.abs(offsetMs) > SYNC_DEAD_BAND_MS) && Date.now() - unmutedAt < settleMs * slow);
  return { unmuted, mutedVideoMs, videoMs, audioMs: videoMs + offsetMs, offsetMs, moved, windows, trace,
    settledS: (Date.now() - unmutedAt) / 1000, newFreezes: p.freezes - p.freezes0, figures: p.figures,
    clicks: p.audioMs.length };
}

export function describeAv(m) {
  return `audio capture -> heard ${m.audioMs.toFixed(1)} ms, video capture -> presented ` +
    `${m.videoMs.toFixed(1)} ms (${m.mutedVideoMs.toFixed(1)} ms with sound off), A/V offset ` +
    `${m.offsetMs.toFixed(1)} ms (measured up to ${m.settledS.toFixed(0)} s after unmuting, ${m.windows} window(s): ` +
    `${m.trace.join('; ')})`;
}
