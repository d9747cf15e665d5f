// DTLS with peers other than Chromium's default: a browser whose
// certificate is RSA (RTCPeerConnection.generateCertificate), as
// GStreamer's webrtcbin and many OpenSSL-based players have by default,
// and a client that insists on the DTLS client role.
// The service is the DTLS client (it answers a=setup:active to actpass),
// so its ClientHello must offer suites an RSA server can pick; with only
// ECDHE-ECDSA ones the peer answered "no shared cipher" (alert 40).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { startService, getStatus, buildDir } from './lib/service.mjs';

let service, browser;

before(async () => {
  // debug: the log names the negotiated cipher suite
  service = await startService(['--width', '640', '--height', '360', '--fps', '30', '--log-level', 'debug']);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

// Opens the player with every RTCPeerConnection given a certificate of
// the algorithm named (WebCrypto parameters).
async function playWith(algorithm) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.addInitScript((alg) => {
    const Native = window.RTCPeerConnection;
    if (alg.publicExponent) alg.publicExponent = new Uint8Array(alg.publicExponent);
    const made = Native.generateCertificate(alg).then((c) => { window.__cert = c; });
    // The player fetches before it makes its pc: the first fetch waits
    // for the key, so every pc gets the certificate.
    const nativeFetch = window.fetch.bind(window);
    window.fetch = async (...args) => { await made; return nativeFetch(...args); };
    window.__pcsWithCert = 0;
    window.RTCPeerConnection = function (config = {}) {
      window.__pcsWithCert++;
      return new Native({ ...config, certificates: [window.__cert] });
    };
    window.RTCPeerConnection.prototype = Native.prototype;
    window.RTCPeerConnection.generateCertificate = Native.generateCertificate;
  }, algorithm);
  await page.goto(service.url);
  return page;
}

const rsa = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: [1, 0, 1], hash: 'SHA-256' };

test('a browser with an RSA certificate plays (the service offers ECDHE-RSA suites as DTLS client)',
  { timeout: 90000 }, async () => {
    const page = await playWith(rsa);
    try {
      await page.waitForFunction(() => window.hdmirtc && window.hdmirtc.state === 'playing' &&
        window.hdmirtc.stats.framesDecoded > 60, null, { timeout: 40000, polling: 200 });
      assert.ok(await page.evaluate(() => window.__pcsWithCert) >= 1, 'no pc got the RSA certificate');
      const viewers = (await getStatus(service.url)).viewers;
      assert.equal(viewers.length, 1, JSON.stringify(viewers));
      assert.equal(viewers[0].dtls, 'connected');
      const suite = service.log().match(/DTLS connected, (\S+),/);
      console.log(`# RSA peer: ${suite && suite[1]}, SRTP ${viewers[0].srtp}`);
      assert.match(suite ? suite[1] : '', /^ECDHE-RSA-/);
    } finally {
      await page.close();
    }
  });

// A WHEP client that must be the DTLS client (a=setup:active; some players
// and media servers offer it): the service answers passive and is the DTLS
// server.  bench/whep-load (hdmirtc's own DTLS code in the client role)
// stands in for it; the frames it counts are whole H.264 access units.
test('an offer with a=setup:active gets passive and the service is the DTLS server',
  { timeout: 60000 }, async () => {
    const out = await new Promise((resolve, reject) => {
      const child = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', service.url).href,
        '--duration', '4', '--connect-timeout', '20', '--dtls-client'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => { text += d; });
      child.stderr.on('data', (d) => { text += d; });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    assert.equal(out.code, 0, out.text);
    const totals = JSON.parse(out.text.slice(out.text.indexOf('{'))).totals;
    assert.ok(totals.frames >= 60, `frames ${totals.frames}`);
    assert.equal(totals.decrypt_failures, 0);
    assert.match(service.log(), /DTLS server: handshaking -> connected/);
  });
