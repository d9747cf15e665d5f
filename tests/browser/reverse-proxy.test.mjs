// The reverse-proxy mode behind Debian's nginx: nginx terminates HTTPS on
// loopback and forwards to the service's Unix socket; the service speaks
// plain HTTP there and takes the client's address from X-Forwarded-For,
// which it believes only because the peer is its socket.  Chromium plays
// WebRTC (WHEP) and MJPEG through the proxy; the per-address WHEP limit
// counts the forwarded address (a second client address still gets a
// session, a spoofed X-Forwarded-For does not move the first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { homeTrusting, launchChromium } from './lib/chromium.mjs';
import { startService } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const OFFER = readFileSync(path.resolve(here, '../unit/fixtures/chromium-recvonly-video.sdp'));
const TOKEN = 'proxy-Token-7';
const sanitized = !!process.env.HDMIRTC_TEST_SANITIZED;
let dir, service, nginx, nginxLog = '', proxyUrl, home;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} within ${ms} ms`);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-proxy-'));
  const socket = path.join(dir, 'hdmirtc.sock');
  service = await startService(['--width', '640', '--height', '360', '--reverse-proxy', '--unix-socket', socket,
    '--token', TOKEN, '--max-viewers', '4', '--max-viewers-per-address', '1'],
  { ready: (log) => /serving on .*hdmirtc\.sock/.test(log) });
  assert.ok(existsSync(socket));
  // nginx's own certificate, as a site would have one.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=kvm-proxy', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2',
    '-keyout', path.join(dir, 'proxy.key'), '-out', path.join(dir, 'proxy.pem')], { stdio: 'ignore' });
  const port = await freePort();
  proxyUrl = `https://127.0.0.1:${port}/`;
  writeFileSync(path.join(dir, 'nginx.conf'), `
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/proxy.pem;
    ssl_certificate_key ${dir}/proxy.key;
    location / {
      proxy_pass http://unix:${socket}:;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # MJPEG is one endless response: pass each picture on at once.
      proxy_buffering off;
      proxy_read_timeout 1h;
    }
  }
}
`);
  nginx = spawn('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout.on('data', (d) => { nginxLog += d; });
  nginx.stderr.on('data', (d) => { nginxLog += d; });
  await waitFor(() => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  }), 10000, `nginx did not listen:\n${nginxLog}`);
});

after(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  if (service) {
    const code = await service.stop();
    assert.equal(code, 0, service.log().slice(-4000));
  }
  if (home) rmSync(home, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the service prints no URL of its own on a Unix socket, and speaks plain HTTP there', () => {
  assert.doesNotMatch(service.log(), /hdmirtc: open/);
  assert.doesNotMatch(service.log(), /HTTPS certificate/);
  assert.match(service.log(), /hdmirtc: serving on .*hdmirtc\.sock for the reverse proxy/);
});

test('Chromium plays WebRTC and MJPEG through nginx', { timeout: 120000 }, async () => {
  home = homeTrusting(path.join(dir, 'proxy.pem'));
  const browser = await launchChromium([], { env: { ...process.env, HOME: home } });
  try {
    const page = await browser.newPage();
    await page.goto(`${proxyUrl}#token=${TOKEN}`);
    await page.waitForFunction(() => window.hdmirtc.state === 'playing' && window.hdmirtc.framesPresented > 30,
      null, { timeout: sanitized ? 60000 : 20000, polling: 100 });
    await page.click('#mode-switch button[data-mode="mjpeg"]');
    await page.waitForFunction(() => window.hdmirtc.mode === 'mjpeg' && document.getElementById('mjpeg').naturalWidth > 0,
      null, { timeout: sanitized ? 30000 : 10000, polling: 100 });
  } finally {
    await browser.close();
  }
  const access = readFileSync(path.join(dir, 'access.log'), 'utf8');
  assert.match(access, /"POST \/whep HTTP\/1\.1" 201/);
  assert.match(access, /"GET \/stream\.mjpeg\?access_token=[A-Za-z0-9_-]+ HTTP\/1\.1" 200/);
  assert.doesNotMatch(access, new RegExp(TOKEN), 'the token reached a URL (and the proxy log)');
});

test('the WHEP limit per address counts the forwarded client, and a spoofed X-Forwarded-For changes nothing',
  { timeout: 60000 }, () => {
    // Sessions made here stay until their ICE times out; one address may
    // hold one.
    const statusFor = (from, headers) => {
      const r = spawnSync('curl', ['-sS', '-m', '10', '--cacert', path.join(dir, 'proxy.pem'), '--interface', from,
        '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/sdp',
        '-H', `Authorization: Bearer ${TOKEN}`, ...headers.flatMap((h) => ['-H', h]),
        '--data-binary', '@-', new URL('whep', proxyUrl).href], { input: OFFER, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(statusFor('127.0.0.2', []), '201');
    assert.equal(statusFor('127.0.0.2', []), '429', 'a second session from 127.0.0.2');
    assert.equal(statusFor('127.0.0.2', ['X-Forwarded-For: 198.51.100.9']), '429',
      'a client that names another address in X-Forwarded-For is still itself');
    assert.equal(statusFor('127.0.0.3', []), '201', 'another client address has its own place');
  });
