// WHIP publishing (issue 18): the service offers its stream to WHIP ingest
// servers (RFC 9725) as an outbound WebRTC session.  The server here is
// tests/players/aiortc-whip-server.py: an independent stack (aioice,
// OpenSSL DTLS, PyAV decoding) that answers as an SFU's WHIP endpoint
// does and writes the barcode rows of every picture it decodes.  All on
// loopback; the service gathers on lo only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, getStatus } from './lib/service.mjs';
import { assertPlayed, debianPython, playersDir } from './lib/external-player.mjs';

// Polls predicate every 100 ms; on timeout fails with message (a string, or
// a function making one from the state at that time).
async function waitUntil(predicate, timeoutMs, message) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(typeof message === 'function' ? await message() : message);
}

const serverScript = path.join(playersDir, 'aiortc-whip-server.py');
const cleanups = [];

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

// A WHIP server on 127.0.0.1 (port 0: any free one); resolves once it
// listens.  kill() ends it as a crash would (SIGKILL: no DELETE, no BYE).
async function startWhipServer({ port = 0, token, dir } = {}) {
  const out = dir || mkdtempSync(path.join(tmpdir(), 'hdmirtc-whip-'));
  const args = [serverScript, '--port', String(port), '--out', out, ...(token ? ['--token', token] : [])];
  const child = spawn(debianPython, args, { cwd: playersDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`WHIP server did not listen in 20 s:\n${log}`)), 20000);
    const look = () => {
      const m = log.match(/listening (\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`WHIP server exited ${code}:\n${log}`)); });
  });
  const server = {
    port: listening,
    dir: out,
    url: `http://127.0.0.1:${listening}/whip`,
    log: () => log,
    async status() {
      const res = await fetch(`http://127.0.0.1:${listening}/status`);
      return res.json();
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
  cleanups.push(async () => { await server.kill(); if (!dir) rmSync(out, { recursive: true, force: true }); });
  return server;
}

// Stopped by the test or at the end; either way it must exit cleanly, with
// no sanitizer report (the ASan build runs this file too).
async function startPublishing(args) {
  const service = await startService(['--width', '640', '--height', '360', '--fps', '30', ...args]);
  let code;
  const stop = service.stop;
  service.stop = async () => {
    if (code === undefined) code = await stop();
    assert.doesNotMatch(service.log(), /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/,
      service.log().slice(-4000));
    assert.equal(code, 0, `service exit code ${code}\n${service.log().slice(-4000)}`);
    return code;
  };
  cleanups.push(() => service.stop());
  return service;
}

async function publication(service, url) {
  return (await getStatus(service.url)).publications.find((p) => p.url === url);
}

// What a server session decoded, checked as a player's pictures are.
function assertSessionPlayed(server, session, minFrames, what) {
  return assertPlayed(assert, {
    code: 0, log: server.log(), out: path.join(server.dir, `session-${session.id}`),
    meta: { frames_decoded: session.frames, width: session.width, strip_rows: session.strip_rows },
  }, minFrames, what);
}

async function sessionWith(server, predicate, timeoutMs, message) {
  let found;
  await waitUntil(async () => {
    found = (await server.status()).sessions.find(predicate);
    return !!found;
  }, timeoutMs, message);
  return found;
}

test('publishes to a WHIP server: pictures with advancing counters, Opus, RTCP; DELETE on stop', { timeout: 90000 }, async () => {
  const server = await startWhipServer({ token: 'whip-token-1' });
  const service = await startPublishing(['--whip', server.url, '--whip-token', 'whip-token-1']);
  const session = await sessionWith(server, (s) => s.frames >= 150, 30000,
    () => `the server decoded no 150 pictures:\n${server.log()}\n${service.log().slice(-3000)}`);
  assertSessionPlayed(server, session, 150, 'the WHIP server');
  assert.ok(session.audio_frames > 50, `the server decoded ${session.audio_frames} sound frames`);
  // The offer the service made: sendonly, actpass, its candidates, both
  // sections bundled.
  assert.match(session.offer, /a=group:BUNDLE 0 1\r\n/);
  assert.match(session.offer, /a=setup:actpass/);
  assert.match(session.offer, /a=sendonly/);
  assert.match(session.offer, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 /i);

  const pub = await publication(service, server.url);
  assert.equal(pub.kind, 'whip');
  assert.equal(pub.state, 'streaming');
  assert.equal(pub.connects, 1);
  assert.match(pub.resource, new RegExp(`^${server.url}/${session.id}$`));
  assert.equal(pub.session.dtls, 'connected');
  assert.ok(pub.session.rtcp_received > 0, 'no RTCP from the server');
  assert.ok(pub.session.audio.on && pub.session.audio.packets_sent > 0, JSON.stringify(pub.session.audio));
  const status = await getStatus(service.url);
  assert.equal(status.viewers.length, 0, 'a publication is not a viewer');

  assert.equal(await service.stop(), 0, service.log().slice(-3000));
  const ended = (await server.status()).sessions.find((s) => s.id === session.id);
  assert.equal(ended.deleted, true, 'the service did not DELETE its session when it stopped');
});

test('the WHIP server killed and started again: the publication comes back by itself', { timeout: 120000 }, async () => {
  const first = await startWhipServer();
  const service = await startPublishing(['--whip', first.url]);
  await sessionWith(first, (s) => s.frames >= 30, 30000, () => `no pictures at the first server:\n${first.log()}`);
  await first.kill();
  const killedAt = Date.now();
  // Noticed by the silence of its receiver reports: after 2 s an ICE
  // restart, whose PATCH finds no server (aiortc would answer 405), then
  // new sessions with backoff while nothing listens.
  await waitUntil(async () => (await publication(service, first.url)).state !== 'streaming', 15000,
    'the publication still says streaming 15 s after its server died');
  const noticedMs = Date.now() - killedAt;
  const again = await startWhipServer({ port: first.port, dir: first.dir });
  const startedAt = Date.now();
  await waitUntil(async () => (await publication(service, first.url)).connects === 2, 20000,
    async () => `not streaming again 20 s after the server came back: ${JSON.stringify(await publication(service, first.url))}`);
  const backMs = Date.now() - startedAt;
  const session = await sessionWith(again, (s) => s.frames >= 60, 30000,
    () => `the new server decoded no 60 pictures:\n${again.log()}`);
  assertSessionPlayed(again, session, 60, 'the restarted WHIP server');
  console.log(`# server death noticed after ${noticedMs} ms; streaming again ${backMs} ms after it came back`);
  const pub = await publication(service, first.url);
  assert.match(pub.last_error, /ICE consent lost|POST|PATCH/, pub.last_error);
});

test('a refused token and a good endpoint side by side: the good one streams, the refused one says 401 and backs off', { timeout: 90000 }, async () => {
  const good = await startWhipServer({ token: 'right' });
  const refusing = await startWhipServer({ token: 'other' });
  const service = await startPublishing(['--whip', `${good.url},${refusing.url}`, '--whip-token', 'right,wrong']);
  await sessionWith(good, (s) => s.frames >= 60, 30000, () => `no pictures at the good server:\n${good.log()}`);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 6000));
  const refusedPub = await publication(service, refusing.url);
  assert.match(refusedPub.last_error, /POST: HTTP 401/, JSON.stringify(refusedPub));
  assert.notEqual(refusedPub.state, 'streaming');
  const { refused, sessions } = await refusing.status();
  assert.equal(sessions.length, 0);
  // 250 ms doubling to 4 s: a handful of tries, not a flood.
  assert.ok(refused >= 2 && refused <= 10, `${refused} refused POSTs in ${(Date.now() - t0) / 1000 + 2} s`);
  const goodPub = await publication(service, good.url);
  assert.equal(goodPub.state, 'streaming');
  assert.equal(goodPub.connects, 1);
});
