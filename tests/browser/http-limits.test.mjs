// One address cannot keep the others out (src/http/http-limits.c).  From
// 127.0.0.2: first a stream of real WHEP offers, 8 at a time, which gets
// 429 with Retry-After past its share of viewers and its rate of offers;
// then 1,000 connections that never send a byte and a flood of offers all
// at once, shut down at once past the per-address connection cap or after
// the 10 s a request may take.  Meanwhile from 127.0.0.1 a viewer
// (bench/whep-load, checking every packet) must still connect and play,
// and in the end the service's descriptors go back to where they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService, getStatus, buildDir } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const OFFER = readFileSync(path.join(here, '../unit/fixtures/chromium-recvonly-video.sdp'));
const ATTACKER = '127.0.0.2';
const SILENT = 1000;
const OFFERS = 300;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function request(url, method, { body, type, localAddress, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, localAddress, agent, headers: type ? { 'Content-Type': type } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('1,000 silent connections and an offer flood from one address: another still plays, descriptors come back',
  { timeout: 120000 }, async () => {
    const service = await startService(['--width', '640', '--height', '360']);
    const fds = () => readdirSync(`/proc/${service.child.pid}/fd`).length;
    const port = Number(new URL(service.url).port);
    const whep = new URL('whep', service.url);
    const silent = [];
    let viewer;
    try {
      await getStatus(service.url);
      await sleep(500);
      const baseline = fds();

      const agent = new http.Agent({ maxSockets: 8 });
      const answers = await Promise.all(Array.from({ length: OFFERS }, () =>
        request(whep, 'POST', { body: OFFER, type: 'application/sdp', localAddress: ATTACKER, agent })));
      agent.destroy();
      const count = (s) => answers.filter((a) => a.status === s).length;
      const created = answers.filter((a) => a.status === 201);
      assert.ok(created.length >= 1 && created.length <= 4, `one address got ${created.length} sessions ` +
        '(max-viewers 8: at most half of them)');
      assert.equal(created.length + count(429), OFFERS,
        JSON.stringify(answers.filter((a) => ![201, 429].includes(a.status)).slice(0, 3)));
      for (const a of answers.filter((x) => x.status === 429)) {
        assert.match(a.headers['retry-after'] ?? '', /^[1-9]\d*$/, 'a 429 says when to retry');
        assert.match(a.text, /^429 Too Many Requests: /);
      }

      let shut = 0;
      for (let i = 0; i < SILENT; i++) {
        const s = net.connect({ host: '127.0.0.1', port, localAddress: ATTACKER });
        s.on('error', () => {});
        s.on('close', () => { shut++; });
        silent.push(s);
      }
      const flood = Promise.all(Array.from({ length: OFFERS }, () =>
        request(whep, 'POST', { body: OFFER, type: 'application/sdp', localAddress: ATTACKER })
          .catch((e) => ({ status: 0, error: e.message }))));

      viewer = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', whep.href, '--duration', '8',
        '--connect-timeout', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      viewer.stdout.on('data', (d) => { out += d; });
      viewer.stderr.on('data', (d) => { out += d; });
      const viewerDone = new Promise((resolve) => viewer.on('exit', resolve));

      // Its connections shut down or 429: its share of viewers is taken.
      const flooded = await flood;
      assert.deepEqual(flooded.filter((a) => ![0, 429].includes(a.status)), []);

      assert.equal(await viewerDone, 0, out);
      const summary = JSON.parse(out.trim().split('\n').pop());
      assert.equal(summary.viewers_streaming, 1, out);
      for (const k of ['decrypt_failures', 'lost', 'malformed']) assert.equal(summary.totals[k], 0, out);
      assert.ok(summary.totals.frames >= 150, `the viewer got ${summary.totals.frames} frames in 8 s`);

      // Past the cap at once, the rest after the 10 s a request may take.
      for (let t = 0; t < 150 && shut < SILENT; t++) await sleep(100);
      assert.equal(shut, SILENT, 'the service shut every silent connection down');
      const limits = (await getStatus(service.url)).http_limits;
      assert.ok(limits.connections_refused > 0 && limits.requests_timed_out > 0, JSON.stringify(limits));
      // Some 429s of the flood reach a client that has already given up.
      assert.ok(limits.answered_429 >= count(429) + flooded.filter((a) => a.status === 429).length,
        JSON.stringify(limits));

      for (const a of created) {
        // Or 404: a session whose peer never did ICE ends by itself.
        const res = await request(new URL(a.headers.location, service.url), 'DELETE', { localAddress: ATTACKER });
        assert.ok([200, 404].includes(res.status), res.text);
      }
      let now = fds();
      for (let t = 0; t < 50 && now > baseline; t++) { await sleep(100); now = fds(); }
      assert.ok(now <= baseline, `descriptors: ${baseline} before, ${now} after`);
    } finally {
      for (const s of silent) s.destroy();
      viewer?.kill('SIGKILL');
      assert.equal(await service.stop(), 0, service.log().slice(-3000));
    }
  });

// The same on the defaults, where every connection first waits for its
// first byte (TLS or a plain request to redirect) and then for its TLS
// handshake: 1,000 connections that say nothing and 200 that stop inside
// the ClientHello, from one address; another address still gets its
// answers over HTTPS meanwhile, and everything is shut within the 10 s a
// request may take.
test('on HTTPS: silent connections and stalled handshakes from one address are shut; another is served',
  { timeout: 120000 }, async () => {
    const service = await startService(['--width', '640', '--height', '360'], { secure: true });
    const fds = () => readdirSync(`/proc/${service.child.pid}/fd`).length;
    const port = Number(new URL(service.url).port);
    const ca = readFileSync(service.certFile);
    const silent = [];
    const get = (localAddress) => httpsStatus(service, ca, localAddress);
    try {
      assert.equal((await get()).status, 200);
      await sleep(500);
      const baseline = fds();
      let shut = 0;
      const STALLED = 200;
      for (let i = 0; i < SILENT + STALLED; i++) {
        const s = net.connect({ host: '127.0.0.1', port, localAddress: ATTACKER });
        s.on('error', () => {});
        s.on('close', () => { shut++; });
        // A TLS record header of a handshake, then nothing.
        if (i >= SILENT) s.on('connect', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])));
        silent.push(s);
      }
      const started = Date.now();
      for (let i = 0; i < 20; i++) assert.equal((await get()).status, 200, `request ${i} from 127.0.0.1`);
      assert.ok(Date.now() - started < 10000, `20 requests took ${Date.now() - started} ms`);
      for (let t = 0; t < 150 && shut < SILENT + STALLED; t++) await sleep(100);
      assert.equal(shut, SILENT + STALLED, 'the service shut every silent or stalled connection down');
      const limits = JSON.parse((await get()).text).http_limits;
      assert.ok(limits.connections_refused > 0 && limits.requests_timed_out > 0, JSON.stringify(limits));
      let now = fds();
      for (let t = 0; t < 50 && now > baseline; t++) { await sleep(100); now = fds(); }
      assert.ok(now <= baseline, `descriptors: ${baseline} before, ${now} after`);
      // Nothing is held against the address once its connections are gone.
      assert.equal((await get(ATTACKER)).status, 200, 'the flooding address, once quiet, is served again');
    } finally {
      for (const s of silent) s.destroy();
      assert.equal(await service.stop(), 0, service.log().slice(-3000));
    }
  });

// GET /api/status over HTTPS, checking the service's certificate.
function httpsStatus(service, ca, localAddress) {
  return new Promise((resolve, reject) => {
    https.get(new URL('api/status', service.url), { ca, localAddress, headers: { Authorization: `Bearer ${service.token}` } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    }).on('error', reject);
  });
}
