// x264-early-slices: each picture's top slice goes out while the bottom one
// is still being encoded, and the rest follows as its own access unit.
// Chromium must see the two parts as one picture: every barcode read in
// order, no freeze; the service says pictures went out early, their first
// packet before the encoder was done and their last one after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { launchChromium } from './lib/chromium.mjs';
import { startService, getStatus, stopClean } from './lib/service.mjs';

const sanitized = !!process.env.HDMIRTC_TEST_SANITIZED;
let service, browser;

before(async () => {
  service = await startService(['--width', '1280', '--height', '720', '--fps', '30', '--x264-early-slices']);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (service) await stopClean(service);
});

test('pictures sent in two parts play as whole pictures', { timeout: 120000 }, async (t) => {
  // x264 makes one slice per thread, at most two, one per core.
  if (os.availableParallelism() < 2) {
    t.skip('x264 encodes slices in parallel only with two cores or more');
    return;
  }
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(service.url);
  await page.waitForFunction(() => window.hdmirtc.state === 'playing' && window.hdmirtc.framesPresented > 30,
    null, { timeout: sanitized ? 60000 : 20000, polling: 100 });
  const warm = await page.evaluate(() => ({ ...window.hdmirtc.stats }));
  await page.waitForFunction((n) => window.hdmirtc.stats.framesDecoded >= n, (warm.framesDecoded || 0) + 150,
    { timeout: sanitized ? 90000 : 30000, polling: 100 });
  const end = await page.evaluate(() => ({
    stats: { ...window.hdmirtc.stats },
    counters: window.hdmirtc.counters.slice(),
    misses: window.hdmirtc.barcodeMisses,
  }));
  await page.close();
  assert.ok(end.counters.length >= 150, `read ${end.counters.length} barcodes, missed ${end.misses}`);
  for (let i = 1; i < end.counters.length; i++) {
    assert.ok(end.counters[i] > end.counters[i - 1],
      `frame counter went from ${end.counters[i - 1]} to ${end.counters[i]} at sample ${i}`);
  }
  if (!sanitized) assert.equal(end.stats.freezeCount - (warm.freezeCount || 0), 0, 'freezes in steady state');

  const status = await getStatus(service.url);
  const lat = status.latency_us;
  console.log(`# ${status.frames_started_early} of ${status.frames_sent} pictures started early; ` +
    `capture -> first send ${lat.capture_to_first_send.median} us, -> encoder done ` +
    `${lat.capture_to_encode_end.median} us, -> last send ${lat.capture_to_last_send.median} us (medians)`);
  // The top slice is done first in most pictures, not in all of them.
  assert.ok(status.frames_started_early > status.frames_sent / 4,
    `${status.frames_started_early} of ${status.frames_sent} pictures started early`);
  assert.ok(lat.capture_to_first_send.median < lat.capture_to_encode_end.median, JSON.stringify(lat));
  assert.ok(lat.capture_to_last_send.median >= lat.capture_to_encode_end.median, JSON.stringify(lat));
});
