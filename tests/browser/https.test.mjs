// The service on its defaults, as a KVM put on a network runs it: HTTPS with
// the self-signed certificate it makes on first start (ECDSA, naming the
// host), a token it makes and keeps, every route but the page closed
// without it, plain HTTP redirected, no CORS, the token in no log line and
// in no URL but the fragment of the one to open.  Chromium plays through
// it once its profile trusts the certificate (an NSS database, as a user
// who accepted it would have); curl checks the certificate the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { homeTrusting, launchChromium } from './lib/chromium.mjs';
import { startService } from './lib/service.mjs';

const sanitized = !!process.env.HDMIRTC_TEST_SANITIZED;
let service, home;

before(async () => {
  service = await startService(['--width', '640', '--height', '360'], { secure: true });
});

after(async () => {
  if (service) {
    const code = await service.stop();
    // Under ASan the sanitizers report at exit; any report fails the run.
    assert.doesNotMatch(service.log(), /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/, service.log().slice(-4000));
    assert.equal(code, 0, service.log().slice(-4000));
  }
  if (home) rmSync(home, { recursive: true, force: true });
});

// curl checking the certificate against the file the service made.
function curl(args) {
  const r = spawnSync('curl', ['-sS', '-m', '10', '--cacert', service.certFile,
    '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}

test('on defaults the URL is https:// with the generated token in its fragment, both kept', () => {
  assert.match(service.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(service.token, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit base64url token');
  const dir = path.dirname(service.certFile);
  const tokenFile = path.join(dir, 'http-token');
  assert.equal(readFileSync(tokenFile, 'utf8').trim(), service.token);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(statSync(service.certFile).mode & 0o777, 0o600);
  const cert = new X509Certificate(readFileSync(service.certFile));
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
  for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'])
    assert.ok(cert.subjectAltName.split(', ').includes(name), `${name} not in ${cert.subjectAltName}`);
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
});

test('without the token every route but the page answers 401 (curl, certificate checked)', () => {
  const routes = [
    ['GET', 'api/status'], ['POST', 'api/keyframe'], ['GET', 'metrics'], ['GET', 'api/edid'],
    ['PUT', 'api/edid'], ['DELETE', 'api/edid'], ['GET', 'stream.mjpeg'], ['POST', 'api/mjpeg-ticket'],
    ['POST', 'whep'], ['OPTIONS', 'whep'], ['GET', 'whep/abc'], ['PATCH', 'whep/abc'], ['DELETE', 'whep/abc'],
  ];
  for (const [method, route] of routes) {
    const r = curl(['-X', method, new URL(route, service.url).href]);
    assert.equal(r.code, 0, `${method} ${route}: curl: ${r.err}`);
    assert.equal(r.out, '401', `${method} /${route}`);
  }
  for (const file of ['', 'player.js', 'whep.js', 'style.css'])
    assert.equal(curl([new URL(file, service.url).href]).out, '200', `/${file}`);
  const withToken = curl(['-H', `Authorization: Bearer ${service.token}`, new URL('api/status', service.url).href]);
  assert.equal(withToken.out, '200');
});

test('a plain-HTTP request on the port is redirected to https, and not served', async () => {
  const port = new URL(service.url).port;
  const reply = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/api/status?x=1', headers: { Authorization: `Bearer ${service.token}` } },
      (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body }));
      }).on('error', reject);
  });
  assert.equal(reply.status, 308);
  assert.equal(reply.location, `https://127.0.0.1:${port}/api/status?x=1`);
  assert.doesNotMatch(reply.body, /"version"/, 'the status went out in clear');
  // curl follows it to the same answer.
  assert.equal(curl(['-L', `http://127.0.0.1:${port}/`]).out.split(' ')[0], '200');
});

test('CORS is off by default: no Access-Control-Allow-Origin for another origin', () => {
  const r = spawnSync('curl', ['-sS', '-m', '10', '--cacert', service.certFile, '-D', '-', '-o', '/dev/null',
    '-H', 'Origin: https://evil.example', '-H', `Authorization: Bearer ${service.token}`,
    new URL('api/status', service.url).href], { encoding: 'utf8' });
  assert.match(r.stdout, /^HTTP\/1\.1 200/);
  assert.doesNotMatch(r.stdout, /access-control-allow-origin/i);
});

test('Chromium that trusts the certificate plays WebRTC and MJPEG from the https page', { timeout: 120000 }, async () => {
  home = homeTrusting(service.certFile);
  const browser = await launchChromium([], { env: { ...process.env, HOME: home } });
  try {
    const page = await browser.newPage();
    const failed = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    await page.goto(`${service.url}#token=${service.token}`);
    await page.waitForFunction(() => window.hdmirtc.state === 'playing' && window.hdmirtc.framesPresented > 30,
      null, { timeout: sanitized ? 60000 : 20000, polling: 100 });
    assert.equal(await page.evaluate(() => window.isSecureContext && location.protocol), 'https:');
    await page.click('#mode-switch button[data-mode="mjpeg"]');
    await page.waitForFunction(() => window.hdmirtc.mode === 'mjpeg' && document.getElementById('mjpeg').naturalWidth > 0,
      null, { timeout: sanitized ? 30000 : 10000, polling: 100 });
    const src = await page.getAttribute('#mjpeg', 'src');
    assert.ok(!src.includes(service.token), 'the token went into the MJPEG URL');
    assert.match(src, /access_token=[A-Za-z0-9_-]{32}$/, 'a ticket is in the MJPEG URL');
    // Leaving WebRTC for MJPEG cuts what WHEP had in flight (ERR_ABORTED);
    // nothing may fail otherwise, a certificate error least of all.
    assert.deepEqual(failed.filter((f) => !f.endsWith('net::ERR_ABORTED')), []);
  } finally {
    await browser.close();
  }
});

test('the token appears in no log line, only in the URL to open', () => {
  const lines = service.log().split('\n').filter((l) => l.includes(service.token));
  assert.deepEqual(lines.map((l) => l.replace(/#token=.*/, '#token=…')), [`hdmirtc: open ${service.url}#token=…`]);
});
