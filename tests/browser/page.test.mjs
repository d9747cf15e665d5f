// The web page: the WebRTC/MJPEG switch shows only when the browser has
// WebRTC and the service offers it; the MJPEG stream carries real
// pictures; a token protects the API but not the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readBarcode } from '../../web/barcode.js';
import { launchChromium, waitPlaying } from './lib/chromium.mjs';
import { startService } from './lib/service.mjs';
import { decodeToLuma, assertNotBlack } from './lib/picture.mjs';

const slow = process.env.HDMIRTC_TEST_SANITIZED ? 4 : 1;
const TOKEN = 'kvm-Token-42';
let service, browser;

before(async () => {
  service = await startService(['--width', '640', '--height', '360', '--token', TOKEN]);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

async function openPage(init) {
  const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  if (init) await page.addInitScript(init);
  await page.goto(`${service.url}#token=${TOKEN}`);
  return page;
}

const mjpegShown = () => {
  const img = document.getElementById('mjpeg');
  return window.hdmirtc.mode === 'mjpeg' && !img.hidden && img.naturalWidth > 0;
};

test('with WebRTC the switch is shown and flips between WebRTC and MJPEG', { timeout: 60000 }, async () => {
  const page = await openPage();
  await waitPlaying(page, 20000 * slow);
  assert.equal(await page.isVisible('#mode-switch'), true);
  assertNotBlack(assert, await page.screenshot(), 'the WebRTC picture');

  await page.click('#mode-switch button[data-mode="mjpeg"]');
  await page.waitForFunction(mjpegShown, null, { timeout: 10000 * slow });
  await page.waitForTimeout(500);
  assertNotBlack(assert, await page.screenshot(), 'the MJPEG picture');
  assert.equal(await page.getAttribute('#mode-switch button[data-mode="mjpeg"]', 'aria-pressed'), 'true');

  await page.click('#mode-switch button[data-mode="webrtc"]');
  await page.waitForFunction(() => window.hdmirtc.mode === 'webrtc' && window.hdmirtc.state === 'playing',
    null, { timeout: 20000 * slow });
  await page.evaluate(() => localStorage.clear());
  await page.close();
});

test('without RTCPeerConnection the switch is hidden and MJPEG plays', { timeout: 60000 }, async () => {
  const page = await openPage(() => { delete window.RTCPeerConnection; });
  await page.waitForFunction(mjpegShown, null, { timeout: 10000 * slow });
  assert.equal(await page.isVisible('#mode-switch'), false);
  assert.equal(await page.evaluate(() => window.hdmirtc.webrtcSupported), false);
  await page.waitForTimeout(500);
  assertNotBlack(assert, await page.screenshot(), 'the MJPEG picture');
  await page.close();
});

// Reads parts of the multipart stream until n JPEGs are in.
async function readMjpegParts(url, n) {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const boundary = res.headers.get('content-type').match(/boundary=(\S+)/)[1];
  const reader = res.body.getReader();
  let buf = Buffer.alloc(0);
  const parts = [];
  while (parts.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf = Buffer.concat([buf, Buffer.from(value)]);
    for (;;) {
      const head = buf.indexOf(`--${boundary}\r\n`);
      const end = head >= 0 ? buf.indexOf('\r\n\r\n', head) : -1;
      if (end < 0) break;
      const length = Number(buf.subarray(head, end).toString().match(/Content-Length: (\d+)/i)[1]);
      if (buf.length < end + 4 + length) break;
      parts.push(buf.subarray(end + 4, end + 4 + length));
      buf = buf.subarray(end + 4 + length);
    }
  }
  await reader.cancel();
  return parts;
}

test('the MJPEG stream is JPEG pictures of the source with increasing frame counters', { timeout: 60000 }, async () => {
  const unauthorized = await fetch(new URL('stream.mjpeg', service.url));
  assert.equal(unauthorized.status, 401);
  await unauthorized.text();
  // The token itself is refused in the URL; a ticket made with it is
  // taken once.
  const withToken = new URL('stream.mjpeg', service.url);
  withToken.searchParams.set('access_token', TOKEN);
  const refused = await fetch(withToken);
  assert.equal(refused.status, 401);
  assert.match(await refused.text(), /no ticket/);
  const made = await fetch(new URL('api/mjpeg-ticket', service.url),
    { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(made.status, 201);
  const url = new URL('stream.mjpeg', service.url);
  url.searchParams.set('access_token', (await made.json()).ticket);
  const parts = await readMjpegParts(url, 10);
  const again = await fetch(url);
  assert.equal(again.status, 401, 'a ticket starts one stream only');
  await again.text();
  assert.equal(parts.length, 10);
  let last = -1;
  for (const jpeg of parts) {
    assert.equal(jpeg.readUInt16BE(0), 0xffd8, 'no JPEG start of image');
    assert.equal(jpeg.readUInt16BE(jpeg.length - 2), 0xffd9, 'no JPEG end of image');
    const picture = decodeToLuma(jpeg);
    assert.deepEqual([picture.width, picture.height], [640, 360]);
    const code = readBarcode(picture.luma, picture.width, picture.width, picture.height);
    assert.ok(code, 'the barcode does not survive JPEG');
    assert.ok(code.counter > last, `counter ${code.counter} after ${last}`);
    last = code.counter;
  }
});

test('a wrong token gets 401; the page itself needs none', { timeout: 30000 }, async () => {
  const wrong = await fetch(new URL('api/status', service.url), { headers: { Authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const page = await fetch(service.url);
  assert.equal(page.status, 200);
  const right = await fetch(new URL('api/status', service.url), { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(right.status, 200);
});

// The narrowest picture the barcode fits (320 wide: 20 bits a block row,
// 160 rows of it) still gives the page its latency: the page once read only
// the top 128 rows, and measured nothing below 384 wide.
test('at 320x240 the page reads each frame\'s barcode', { timeout: 60000 }, async () => {
  const narrow = await startService(['--width', '320', '--height', '240', '--no-audio']);
  const page = await browser.newPage();
  try {
    await page.goto(narrow.url);
    await waitPlaying(page, 20000 * slow);
    await page.waitForFunction(() => window.hdmirtc.framesPresented > 40, null, { timeout: 20000 * slow });
    const seen = await page.evaluate(() => ({ frames: window.hdmirtc.framesPresented,
      read: window.hdmirtc.counters.length, latencies: window.hdmirtc.latencyMs.length,
      misses: window.hdmirtc.barcodeMisses }));
    assert.ok(seen.read >= 30 && seen.misses <= seen.frames / 10, JSON.stringify(seen));
    assert.ok(seen.latencies >= 30, JSON.stringify(seen));
  } finally {
    await page.close();
    assert.equal(await narrow.stop(), 0, narrow.log().slice(-3000));
  }
});
