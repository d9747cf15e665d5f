// When neither UDP nor ICE over TCP gets between browser and service, the
// page falls back to MJPEG by itself and says why in plain words.  Browser
// and service run in a network namespace this test makes, whose only
// interface is loopback and whose firewall drops every UDP packet and TCP
// to the ICE port range (10000-20000, the default; the HTTP port is an
// ephemeral one above it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { startService } from './lib/service.mjs';
import { assertNotBlack } from './lib/picture.mjs';

const slow = process.env.HDMIRTC_TEST_SANITIZED ? 4 : 1;
const ns = `hdmirtc-noudp-${process.pid}`;
const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-noudp-'));
let service, browser;

before(async () => {
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
    input: 'table inet hdmirtc_test {\n chain input {\n  type filter hook input priority 0;\n  meta l4proto udp drop\n  tcp dport 10000-20000 drop\n }\n}\n',
  });
  const wrapper = path.join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  service = await startService(['--width', '640', '--height', '360'], { wrap: ['ip', 'netns', 'exec', ns] });
  browser = await launchChromium([], { executablePath: wrapper });
});

after(async () => {
  if (browser) await browser.close();
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
  execFileSync('ip', ['netns', 'delete', ns]);
  rmSync(dir, { recursive: true, force: true });
});

test('with UDP and ICE-TCP blocked the page falls back to MJPEG and explains why', { timeout: 90000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  await page.goto(service.url);
  await page.waitForFunction(() => {
    const img = document.getElementById('mjpeg');
    return window.hdmirtc.mode === 'mjpeg' && img.naturalWidth > 0;
  }, null, { timeout: 30000 * slow });
  const state = await page.evaluate(() => ({
    reason: window.hdmirtc.fallbackReason, shown: document.getElementById('state').textContent,
    frames: window.hdmirtc.framesPresented, switchVisible: window.hdmirtc.switchVisible,
  }));
  assert.equal(state.frames, 0, 'WebRTC frames arrived through a firewall that drops UDP');
  assert.match(state.reason, /UDP .*blocked/);
  assert.ok(state.shown.includes(state.reason), state.shown);
  assert.equal(state.switchVisible, true, 'the user can still try WebRTC again');
  await page.waitForTimeout(500);
  assertNotBlack(assert, await page.screenshot(), 'the MJPEG fallback picture');
});
