// STUN on loopback: with a local coturn the service learns the server's
// address and viewers get their answer once gathering is done; with a STUN
// server that never answers the answer still comes (host candidates) and
// the stream plays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { launchChromium } from './lib/chromium.mjs';
import { startService, getStatus } from './lib/service.mjs';
import { startStunServer } from './lib/coturn.mjs';

const slow = process.env.HDMIRTC_TEST_SANITIZED ? 4 : 1;

async function playsIn(service) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(service.url);
    await page.waitForFunction(() => window.hdmirtc.framesPresented > 30, null, { timeout: 20000 * slow });
    return await page.evaluate(() => window.hdmirtc.firstFrameMs);
  } finally {
    await browser.close();
  }
}

test('with a local coturn as STUN server the address is learnt and viewers play', { timeout: 60000 }, async () => {
  const stun = await startStunServer();
  const service = await startService(['--width', '640', '--height', '360', '--stun-server', `127.0.0.1:${stun.port}`]);
  try {
    await playsIn(service);
    const status = await getStatus(service.url);
    assert.equal(status.network.stun_server, `127.0.0.1:${stun.port}`);
    assert.equal(status.network.stun_address, '127.0.0.1');
    assert.equal(status.network.stun_error, null);
    assert.doesNotMatch(service.log(), /answering before ICE gathering finished/);
  } finally {
    assert.equal(await service.stop(), 0);
    await stun.stop();
  }
});

test('a STUN server that never answers delays the answer but not the stream', { timeout: 60000 }, async () => {
  const hole = dgram.createSocket('udp4');
  let stunRequests = 0;
  hole.on('message', (msg) => { if (msg.length >= 20 && msg.readUInt32BE(4) === 0x2112a442) stunRequests++; });
  await new Promise((resolve) => hole.bind(0, '127.0.0.1', resolve));
  const service = await startService(['--width', '640', '--height', '360',
    '--stun-server', `127.0.0.1:${hole.address().port}`]);
  try {
    const firstFrameMs = await playsIn(service);
    console.log(`# first frame ${firstFrameMs.toFixed(0)} ms after POST with a silent STUN server`);
    assert.ok(stunRequests > 0, 'the service never asked the STUN server');
    assert.match(service.log(), /answering before ICE gathering finished/);
  } finally {
    assert.equal(await service.stop(), 0);
    hole.close();
  }
});
