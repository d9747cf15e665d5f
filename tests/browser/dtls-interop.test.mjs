// DTLS with peers other than Chromium's default, both ways: browsers whose
// certificate is RSA (RTCPeerConnection.generateCertificate), as GStreamer's
// webrtcbin and many OpenSSL-based players have by default, or ECDSA
// (Chromium's own), with the service as DTLS client (its default answer
// a=setup:active to actpass) and as DTLS server (dtls-role = server, or an
// offer that insists on a=setup:active).
// As client, the service's ClientHello must offer suites an RSA server can
// pick; with only ECDHE-ECDSA ones the peer answered "no shared cipher"
// (alert 40).  As server, it must pick a suite for either key type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { startService, getStatus, buildDir } from './lib/service.mjs';

// The service by the DTLS role it takes when the offer leaves the choice.
const services = {};
let browser;

before(async () => {
  // debug: the log names the negotiated cipher suite
  const common = ['--width', '640', '--height', '360', '--fps', '30', '--log-level', 'debug'];
  services.client = await startService(common);
  services.server = await startService([...common, '--dtls-role', 'server']);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  for (const service of Object.values(services)) {
    assert.equal(await service.stop(), 0, service.log().slice(-3000));
  }
});

// Opens the player with every RTCPeerConnection given a certificate of
// the algorithm named (WebCrypto parameters).
async function playWith(service, algorithm) {
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

const certificates = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: [1, 0, 1], hash: 'SHA-256' },
  ecdsa: { name: 'ECDSA', namedCurve: 'P-256' },
};

for (const role of ['client', 'server']) {
  for (const [keyType, algorithm] of Object.entries(certificates)) {
    test(`a browser with an ${keyType.toUpperCase()} certificate plays, the service the DTLS ${role}`,
      { timeout: 90000 }, async () => {
        const service = services[role];
        const page = await playWith(service, algorithm);
        try {
          await page.waitForFunction(() => window.hdmirtc && window.hdmirtc.state === 'playing' &&
            window.hdmirtc.stats.framesDecoded > 60, null, { timeout: 40000, polling: 200 });
          assert.ok(await page.evaluate(() => window.__pcsWithCert) >= 1, `no pc got the ${keyType} certificate`);
          const answer = await page.evaluate(() => window.hdmirtc.pc.remoteDescription.sdp);
          assert.match(answer, role === 'client' ? /\r\na=setup:active\r\n/ : /\r\na=setup:passive\r\n/);
          // The browser's RTCP (receiver reports) is protected with the
          // other direction's keys: it must decrypt too.
          let viewers = (await getStatus(service.url)).viewers;
          for (let i = 0; i < 50 && viewers.length === 1 && viewers[0].rtcp_received < 2; i++) {
            await new Promise((r) => setTimeout(r, 100));
            viewers = (await getStatus(service.url)).viewers;
          }
          assert.equal(viewers.length, 1, JSON.stringify(viewers));
          assert.ok(viewers[0].rtcp_received >= 2, `RTCP received ${viewers[0].rtcp_received}`);
          assert.equal(viewers[0].rtcp_bad, 0);
          assert.equal(viewers[0].dtls, 'connected');
          assert.equal(viewers[0].dtls_role, role);
          // The DTLS server's key decides the suite: the browser's when the
          // service is the client, the service's own (ECDSA) when it is
          // the server.
          if (role === 'client') assert.match(viewers[0].dtls_cipher, new RegExp(`^ECDHE-${keyType === 'rsa' ? 'RSA' : 'ECDSA'}-`));
          else assert.match(viewers[0].dtls_cipher, /^ECDHE-ECDSA-/);
          assert.match(viewers[0].srtp, /^(AEAD_AES_128_GCM|AES128_CM_SHA1_80)$/);
          console.log(`# ${keyType} peer, service DTLS ${role}: ${viewers[0].dtls_cipher}, SRTP ${viewers[0].srtp}`);
        } finally {
          await page.close();
        }
        // The page's DELETE (or consent) ends the viewer before the next case.
        for (let i = 0; i < 50 && (await getStatus(service.url)).viewers.length; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      });
  }
}

// A WHEP client that must be the DTLS client (a=setup:active; some players
// and media servers offer it): the service answers passive and is the DTLS
// server.  bench/whep-load (hdmirtc's own DTLS code in the client role)
// stands in for it; the frames it counts are whole H.264 access units.
test('an offer with a=setup:active gets passive and the service is the DTLS server',
  { timeout: 60000 }, async () => {
    const out = await new Promise((resolve, reject) => {
      const child = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', services.client.url).href,
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
    assert.match(services.client.log(), /DTLS server: handshaking -> connected/);
  });
