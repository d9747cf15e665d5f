// WHIP publishing to Pion (Go's own ICE, DTLS and SRTP) as the ingest
// server: tests/players/pion-whip-server, built here with Debian's Go and
// Pion.  Pion does not decode: it writes the video it received as Annex B
// and ffmpeg decodes that for the barcode check.  On loopback, and in
// network namespaces (root only) where the service's address changes
// mid-stream: the service restarts ICE by WHIP PATCH (RFC 9725 4.4) and
// the same session at the server goes on, so the SFU's viewers would not
// have to subscribe again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, getStatus } from './lib/service.mjs';
import { decodeAnnexB, assertPlayed, playersDir } from './lib/external-player.mjs';
import { Topology, canRun, waitUntil, sh, inNs } from '../net/netns.mjs';

const netSkip = canRun() || false;
let server;
const cleanups = [];

// Cached by a hash of its sources; a cold build takes ~30 s on two cores.
function buildServer() {
  const script = path.join(playersDir, 'pion-whip-server', 'build.sh');
  try {
    return execFileSync(script, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900000 }).trim();
  } catch (e) {
    throw new Error(`pion-whip-server did not build (${script}):\n${e.stderr || ''}${e.message}`);
  }
}

before(() => { server = buildServer(); }, { timeout: 900000 });
after(async () => { for (const c of cleanups.reverse()) await c(); });

// The server's pictures of session id, decoded and checked as a player's.
function assertSessionPlayed(dir, id, minFrames, what) {
  const result = decodeAnnexB({ code: 0, log: '', dir, out: path.join(dir, `session-${id}`), meta: {} });
  return assertPlayed(assert, result, minFrames, what);
}

test('Pion as the WHIP server: decoded pictures with advancing counters, Opus, the service as DTLS server', { timeout: 90000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-pion-whip-'));
  const child = spawn(server, ['--address', '127.0.0.1', '--out', dir, '--token', 'tok'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  cleanups.push(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  await waitUntil(() => /listening \d+/.test(log), 10000, 'pion-whip-server did not listen');
  const url = `http://127.0.0.1:${log.match(/listening (\d+)/)[1]}/whip`;
  const status = async () => (await fetch(url.replace(/whip$/, 'status'))).json();

  const service = await startService(['--width', '640', '--height', '360', '--whip', url, '--whip-token', 'tok']);
  cleanups.push(() => service.stop());
  let session;
  await waitUntil(async () => { session = (await status()).sessions[0]; return session && session.frames >= 150; },
    30000, 'Pion received no 150 whole frames');
  const pub = (await getStatus(service.url)).publications[0];
  assert.equal(pub.state, 'streaming');
  assert.equal(pub.session.dtls_role, 'server', 'Pion answers a=setup:active');
  assert.ok(pub.session.rtcp_received > 0, 'no receiver report from Pion');
  assert.ok(session.audio_packets > 100, `Pion counted ${session.audio_packets} sound packets`);
  assert.equal(session.packets_lost, 0);
  assert.equal(await service.stop(), 0);
  assert.doesNotMatch(service.log(), /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/, service.log().slice(-4000));
  const ended = (await status()).sessions[0];
  assert.equal(ended.deleted, true, 'no DELETE when the service stopped');
  assertSessionPlayed(dir, session.id, 150, 'Pion');
});

test("the service's address changes mid-stream: ICE restart by PATCH, the same session at the server goes on",
  { skip: netSkip, timeout: 120000 }, async () => {
    const topo = new Topology({ nat: 'none' }).up();
    cleanups.push(() => topo.down());
    const dir = path.join(topo.tmp, 'whip');
    sh('mkdir', ['-p', dir]);
    const entry = topo.spawnIn(topo.br, server, ['--address', '203.0.113.2', '--port', '7080', '--out', dir],
      { label: 'pion-whip-server' });
    await waitUntil(() => /listening 7080/.test(entry.log), 10000, `pion-whip-server did not listen:\n${entry.log}`);
    const status = () => JSON.parse(inNs(topo.br, 'curl', '-s', 'http://203.0.113.2:7080/status'));

    await topo.startService(['--no-stun', '--no-ipv6', '--interfaces', 'eth0', '--whip', 'http://203.0.113.2:7080/whip']);
    await waitUntil(() => (status().sessions[0]?.frames ?? 0) >= 60, 30000,
      `no pictures at the server:\n${entry.log}\n${topo.service.log.slice(-3000)}`);

    // DHCP renumbering, as in address-change.test.mjs: the new address,
    // the old one gone, the new gateway.
    sh('ip', ['-n', topo.router, 'addr', 'add', '10.77.3.1/24', 'dev', 'lan0']);
    sh('ip', ['-n', topo.svc, 'addr', 'add', '10.77.3.2/24', 'dev', 'eth0']);
    const t0 = Date.now();
    sh('ip', ['-n', topo.svc, 'addr', 'del', '10.77.1.2/24', 'dev', 'eth0']);
    sh('ip', ['-n', topo.svc, 'route', 'replace', 'default', 'via', '10.77.3.1']);
    const framesAt0 = status().sessions[0].frames;

    // Frames again, on the new address, in the same session.
    let resumedMs = null;
    await waitUntil(() => {
      const s = status().sessions[0];
      if (resumedMs === null && s.restarts > 0 && s.frames > framesAt0 + 5) resumedMs = Date.now() - t0;
      return resumedMs !== null && s.frames >= framesAt0 + 90;
    }, 30000, () => `the session did not go on after the address change:\n${entry.log}\n${topo.service.log.slice(-4000)}`);
    const after = status();
    const pub = topo.status().publications[0];
    console.log(`# address change: frames at the server again ${resumedMs} ms later, ` +
      `ICE pair now ${pub.session.ice_pair}`);
    assert.equal(after.posts, 1, 'a new session was made instead of an ICE restart');
    assert.equal(after.sessions.length, 1);
    assert.equal(after.sessions[0].restarts, 1);
    assert.equal(pub.connects, 1);
    assert.equal(pub.ice_restarts, 1);
    assert.equal(pub.state, 'streaming');
    assert.match(pub.session.ice_pair, /10\.77\.3\.2:\d+ -> \S+ udp 203\.0\.113\.2:/);
    assertSessionPlayed(dir, after.sessions[0].id, framesAt0 + 60, 'Pion across the address change');
    assert.doesNotMatch(topo.service.log, /ERROR: AddressSanitizer|runtime error:/, topo.service.log.slice(-4000));
  });
