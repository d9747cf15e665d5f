// Firefox: another browser than Chromium (Debian's firefox-esr, driven
// through WebDriver BiDi).  Firefox plays H.264 over WebRTC only with
// Cisco's OpenH264 plugin, which it downloads from the internet; on a KVM's
// isolated network, or before the download, it offers VP8, VP9 and AV1
// alone.  Here it never has the plugin (no internet), which is that case:
// the page must say why and show MJPEG, not try WebRTC again and again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readBarcode } from '../../web/barcode.js';
import { launchFirefox } from './lib/firefox.mjs';
import { decodeToLuma } from './lib/picture.mjs';
import { startService, getStatus } from './lib/service.mjs';

const slow = process.env.HDMIRTC_TEST_SANITIZED ? 4 : 1;
let service, browser;

before(async () => {
  service = await startService(['--width', '640', '--height', '360']);
  browser = await launchFirefox();
});

after(async () => {
  if (browser) await browser.close();
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

// The barcode's frame counter in what the page shows (the picture at 1:1
// in a viewport of its size, figures hidden).
async function shownCounter(page) {
  const picture = decodeToLuma(await page.screenshot());
  const code = readBarcode(picture.luma, picture.width, picture.width, picture.height);
  return code ? code.counter : null;
}

async function openPage(init) {
  const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  if (init) await page.addInitScript(init);
  await page.goto(`${service.url}?overlay=0`);
  return page;
}

async function mjpegPlays(page) {
  await page.waitForFunction(() => window.hdmirtc.mode === 'mjpeg' &&
    document.getElementById('mjpeg').naturalWidth === 640, null, { timeout: 15000 * slow });
  // A screenshot takes a second or two here: the picture must move
  // within 10 s.
  const first = await shownCounter(page);
  let later = first;
  for (const end = Date.now() + 10000 * slow; later === first && Date.now() < end;) {
    await page.waitForTimeout(500);
    later = await shownCounter(page);
  }
  assert.ok(first !== null && later !== null, `no barcode in the MJPEG picture shown (${first}, ${later})`);
  assert.ok(later > first, `the MJPEG picture does not move: counter ${first} then ${later}`);
}

test('Firefox offers no H.264: the page says why, shows MJPEG and no WebRTC switch', { timeout: 60000 * slow }, async () => {
  const page = await openPage();
  await mjpegPlays(page);
  const p = await page.evaluate(() => ({ supported: window.hdmirtc.webrtcSupported, connects: window.hdmirtc.connects,
    shown: document.getElementById('state').textContent, switchShown: !document.getElementById('mode-switch').hidden }));
  assert.equal(p.supported, false);
  assert.equal(p.connects, 0, 'the page tried WebRTC though the browser has no H.264');
  assert.match(p.shown, /cannot play H\.264 over WebRTC.*OpenH264/);
  assert.equal(p.switchShown, false);
  assert.equal((await getStatus(service.url)).viewers.length, 0);
  await page.close();
});

// A browser without RTCRtpReceiver.getCapabilities finds out from the
// answer: the service refuses the offer (422, naming what was offered) and
// the page falls back at once instead of retrying.
test('Firefox\'s offer refused (422): the page falls back to MJPEG at once with the service\'s reason', { timeout: 60000 * slow }, async () => {
  const page = await openPage(() => { delete RTCRtpReceiver.getCapabilities; });
  await mjpegPlays(page);
  await page.waitForTimeout(2000);
  const p = await page.evaluate(() => ({ connects: window.hdmirtc.connects, reason: window.hdmirtc.fallbackReason,
    state: window.hdmirtc.state, switchShown: !document.getElementById('mode-switch').hidden }));
  assert.equal(p.connects, 1, 'one offer, no retries');
  assert.equal(p.state, 'MJPEG');
  assert.match(p.reason, /cannot play H\.264 over WebRTC.*the service said: .*no H\.264.*offered: .*VP8/);
  assert.equal(p.switchShown, false);
  assert.equal((await getStatus(service.url)).viewers.length, 0);
  await page.close();
});

test('Firefox without H.264 on the Janus page: it says why and points to the direct page', { timeout: 30000 * slow }, async () => {
  const page = await browser.newPage();
  await page.goto(`${service.url}janus.html`);
  await page.waitForFunction(() => window.hdmirtcJanus && window.hdmirtcJanus.state === 'failed', null,
    { timeout: 10000 * slow });
  const shown = await page.evaluate(() => document.getElementById('state').textContent);
  assert.match(shown, /cannot play H\.264 over WebRTC.*OpenH264.*the direct page shows MJPEG/);
  await page.close();
});
