// A keyframe request from the browser (RTCRtpScriptTransform's
// sendKeyFrameRequest, which chromium sends as RTCP PLI) produces an IDR;
// bad input to every entry point gets a precise error while one viewer
// keeps watching without a freeze.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launchChromium, openPlaying } from './lib/chromium.mjs';
import { startService, getStatus, buildDir } from './lib/service.mjs';

const sanitized = !!process.env.HDMIRTC_TEST_SANITIZED;
const slow = sanitized ? 4 : 1;
let service, browser, page;

before(async () => {
  service = await startService(['--width', '640', '--height', '360', '--keyframe-interval', '3000']);
  browser = await launchChromium();
  page = await openPlaying(browser, service.url, 20000 * slow);
});

after(async () => {
  if (browser) await browser.close();
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

async function viewerStatus() {
  const status = await getStatus(service.url);
  assert.equal(status.viewers.length, 1, JSON.stringify(status.viewers));
  return { viewer: status.viewers[0], encoder: status.encoder };
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a keyframe request from the browser produces an IDR', { timeout: 60000 }, async () => {
  const before = await viewerStatus();
  const decodedBefore = await page.evaluate(() => window.hdmirtc.stats.keyFramesDecoded || 0);
  const result = await page.evaluate(async () => {
    const source = `onrtctransform = (event) => {
      const t = event.transformer;
      t.readable.pipeTo(t.writable);
      onmessage = () => t.sendKeyFrameRequest().then(() => postMessage('sent'), (e) => postMessage('error: ' + e));
      postMessage('ready');
    };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    const next = () => new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
    const ready = next();
    window.hdmirtc.pc.getReceivers()[0].transform = new RTCRtpScriptTransform(worker, {});
    if (await ready !== 'ready') return 'no transform';
    const sent = next();
    worker.postMessage('request');
    return sent;
  });
  assert.equal(result, 'sent');
  const after = await until('PLI/FIR at the server', async () => {
    const s = await viewerStatus();
    return s.viewer.pli + s.viewer.fir > before.viewer.pli + before.viewer.fir ? s : null;
  }, 5000 * slow);
  await until('a new IDR from the encoder', async () => {
    const s = await viewerStatus();
    return s.encoder.keyframes > before.encoder.keyframes ? s : null;
  }, 5000 * slow);
  await page.waitForFunction((n) => (window.hdmirtc.stats.keyFramesDecoded || 0) > n, decodedBefore,
    { timeout: 5000 * slow });
  assert.ok(after.viewer.pli + after.viewer.fir >= 1);
});

// A baseline for "no freeze from here on": chromium counts a freeze only when
// the frame after it arrives and the page samples getStats once a second, so
// a stall from start-up or from the previous test's transform can still land
// in the counter after a first read (and right after start-up the page has
// no sample yet). Two samples 30 frames apart that agree on freezeCount close
// that window.
async function settledStats() {
  const sample = () => page.evaluate(() => ({ ...window.hdmirtc.stats }));
  await page.waitForFunction(() => typeof window.hdmirtc.stats?.framesDecoded === 'number', null,
    { timeout: 10000 * slow });
  let previous = await sample();
  for (;;) {
    await page.waitForFunction((n) => window.hdmirtc.stats.framesDecoded > n + 30, previous.framesDecoded,
      { timeout: 10000 * slow });
    const current = await sample();
    if (current.freezeCount === previous.freezeCount) return current;
    previous = current;
  }
}

async function whep(body, headers, method = 'POST', path = 'whep') {
  const res = await fetch(new URL(path, service.url), { method, headers, body });
  return { status: res.status, text: (await res.text()).trim() };
}

test('bad requests get precise errors while the viewer keeps playing', { timeout: 90000 }, async () => {
  const stats0 = await settledStats();
  const sdp = { 'Content-Type': 'application/sdp' };

  let r = await whep('v=0\r\nthis is not sdp\r\n', sdp);
  assert.equal(r.status, 400); assert.match(r.text, /line/i);
  r = await whep('x'.repeat(70 * 1024), sdp);
  assert.equal(r.status, 413);
  r = await whep('v=0\r\n', { 'Content-Type': 'text/plain' });
  assert.equal(r.status, 415);
  r = await whep('', sdp);
  assert.equal(r.status, 400);
  const audioOnly = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' +
    'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n' +
    'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n' +
    `a=fingerprint:sha-256 ${Array(32).fill('AB').join(':')}\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n`;
  r = await whep(audioOnly, sdp);
  // 422, not 406: WHEP keeps 406 for a counter-offer (whep-conformance).
  assert.equal(r.status, 422); assert.match(r.text, /video/i);
  const frag = 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n' +
    'a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n';
  r = await whep(frag, { 'Content-Type': 'application/trickle-ice-sdpfrag' }, 'PATCH', 'whep/no-such-session');
  assert.equal(r.status, 404);
  r = await whep(null, {}, 'DELETE', 'whep/no-such-session');
  assert.equal(r.status, 404);

  // Garbage and truncated RTCP/RTP/DTLS datagrams at the viewer's media
  // port: dropped (not from the viewer's address, or failing SRTP).
  const { viewer } = await viewerStatus();
  const port = Number(viewer.ice_pair.match(/host udp \S+:(\d+) ->/)[1]);
  const host = viewer.ice_pair.match(/host udp \[?([^\]\s]+?)\]?:\d+ ->/)[1];
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const junk = [Buffer.from([0x80, 0xc8, 0x00]), Buffer.from([0x81, 0xcd, 0xff, 0xff, 1, 2, 3, 4]),
    Buffer.alloc(1200, 0xff), Buffer.from([22, 254, 253, 0, 0]), Buffer.alloc(1, 0)];
  for (let i = 0; i < 200; i++) sock.send(junk[i % junk.length], port, host);
  await new Promise((r) => setTimeout(r, 500));
  sock.close();

  const frames0 = stats0.framesDecoded;
  await page.waitForFunction((n) => window.hdmirtc.stats.framesDecoded > n + 60, frames0, { timeout: 20000 * slow });
  const stats1 = await page.evaluate(() => ({ ...window.hdmirtc.stats }));
  if (!sanitized) assert.equal(stats1.freezeCount - stats0.freezeCount, 0, 'the viewer froze');
  const after = await viewerStatus();
  assert.equal(after.viewer.state, 'streaming');
  assert.ok(after.viewer.frames_sent > viewer.frames_sent);
});

// bench/whep-load is a WebRTC receiver of our own: it can put malformed RTCP
// inside valid SRTCP, which no browser will do, so it reaches the parser.
test('malformed RTCP inside a session is counted and dropped; both viewers keep streaming', { timeout: 90000 }, async () => {
  const stats0 = await settledStats();
  const load = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', service.url).href,
    '--viewers', '1', '--duration', String(6 * slow), '--bad-rtcp', '--connect-timeout', String(15 * slow)],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  load.stdout.on('data', (d) => { out += d; });
  load.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => load.on('exit', resolve));

  const bad = await until('rtcp_bad at the service', async () => {
    const status = await getStatus(service.url);
    return status.viewers.find((v) => v.rtcp_bad > 0 && v.state === 'streaming');
  }, 20000 * slow);
  assert.equal(await exited, 0, out);
  const summary = JSON.parse(out.trim().split('\n').pop());
  assert.ok(summary.totals.bad_rtcp_sent > 0, out);
  assert.equal(summary.totals.decrypt_failures, 0, out);
  assert.ok(bad.frames_sent > 0);

  await page.waitForFunction((n) => window.hdmirtc.stats.framesDecoded > n + 60, stats0.framesDecoded,
    { timeout: 20000 * slow });
  const stats1 = await page.evaluate(() => ({ ...window.hdmirtc.stats }));
  if (!sanitized) assert.equal(stats1.freezeCount - stats0.freezeCount, 0, 'the browser viewer froze');
});
