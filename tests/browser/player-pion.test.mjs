// Pion (Go's own ICE, DTLS and SRTP: golang-github-pion-webrtc.v3-dev) as
// the WHEP player: tests/players/pion-whep-play, built here with Debian's
// Go.  Pion does not decode; it writes what it received as Annex B and
// ffmpeg decodes that, so every test checks decoded pictures and their
// barcode counters (assertPlayed), and the service's view of the same
// session in /api/status.
// Both DTLS roles (Pion's offer says actpass and the service answers
// active; or the offer POSTed says active and the service is the server),
// ECDSA and RSA certificates, both SRTP profiles, and behind the netns NAT
// with coturn as STUN (root only).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startService, getStatus } from './lib/service.mjs';
import { runPlayer, decodeAnnexB, assertPlayed, playersDir, PLAYER_FPS } from './lib/external-player.mjs';
import { Topology, canRun, waitUntil } from '../net/netns.mjs';

const FRAMES = 300;
let player, service;

// build.sh keeps the binary in a cache and rebuilds only when a source
// changed; a cold build takes about a minute on two cores.
function buildPlayer() {
  const script = path.join(playersDir, 'pion-whep-play', 'build.sh');
  const started = Date.now();
  try {
    const bin = execFileSync(script, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900000 }).trim();
    console.log(`# pion-whep-play: ${bin} (build.sh took ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return bin;
  } catch (e) {
    throw new Error(`pion-whep-play did not build (${script}):\n${e.stderr || ''}${e.message}`);
  }
}

before(async () => {
  player = buildPlayer();
  service = await startService(['--width', '640', '--height', '360', '--fps', PLAYER_FPS, '--log-level', 'debug']);
}, { timeout: 900000 });

after(async () => {
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs the player to the end; meanwhile polls the service's status and
// keeps the last entry of every viewer seen streaming (by id).
async function playPion(url, extra, { wrap = [], status = () => getStatus(service.url), frames = FRAMES } = {}) {
  let settled = false;
  const run = runPlayer(player, ['--url', url, '--frames', String(frames), '--timeout', '60', ...extra],
    { wrap, timeoutMs: 90000 });
  run.finally(() => { settled = true; });
  const streaming = new Map();
  while (!settled) {
    try {
      for (const v of (await status()).viewers) if (v.state === 'streaming') streaming.set(v.id, v);
    } catch { /* the next poll */ }
    await Promise.race([run, sleep(300)]);
  }
  return { result: await run, streaming };
}

// Pion names suites and profiles as IANA does, wolfSSL (the service) as
// OpenSSL does.
const suiteNames = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
};
const srtpNames = { SRTP_AES128_CM_HMAC_SHA1_80: 'AES128_CM_SHA1_80', SRTP_AEAD_AES_128_GCM: 'AEAD_AES_128_GCM' };

// What both ends say about one session, then the pictures.
// expect: { what, answerSetup, pionRole, cipher (RegExp on Pion's name), srtp }
function assertSession({ result, streaming }, expect) {
  const { what } = expect;
  assert.equal(result.code, 0, `${what} exited with ${result.code}:\n${result.log.slice(-4000)}`);
  const meta = result.meta;
  console.log(`# ${what}: offer setup ${meta.offer_setup}, answer ${meta.answer_setup}; Pion is DTLS ${meta.dtls_role}, ` +
    `${meta.dtls_cipher}, ${meta.srtp_profile}; pair ${JSON.stringify(meta.ice_pair)}; ` +
    `${meta.frames_received} frames, ${meta.packets} packets, ${meta.packets_lost} lost, first frame after ${meta.first_frame_ms} ms`);
  decodeAnnexB(result);
  const played = assertPlayed(assert, result, FRAMES, what);
  // Only whole access units are written: ffmpeg finds every one.
  assert.equal(result.meta.frames_decoded, meta.frames_received, `${what}: ffmpeg decoded a different count`);
  assert.equal(meta.packets_lost, 0, `${what}: packets lost`);
  assert.equal(meta.answer_setup, expect.answerSetup);
  assert.equal(meta.dtls_role, expect.pionRole);
  assert.match(meta.dtls_cipher, expect.cipher);
  if (expect.srtp) assert.equal(meta.srtp_profile, expect.srtp);
  assert.equal(meta.delete_status, 200);

  const id = meta.session.split('/').pop();
  const viewer = streaming.get(id);
  assert.ok(viewer, `${what}: viewer ${id} never streaming in /api/status (seen: ${[...streaming.keys()]})`);
  assert.equal(viewer.dtls, 'connected');
  assert.equal(viewer.dtls_role, expect.pionRole === 'server' ? 'client' : 'server');
  assert.equal(viewer.dtls_cipher, suiteNames[meta.dtls_cipher], `${what}: the two ends name different suites`);
  assert.equal(viewer.srtp, srtpNames[meta.srtp_profile], `${what}: the two ends name different SRTP profiles`);
  assert.ok(viewer.frames_sent > 0);
  console.log(`# ${what}: service: ${viewer.ice_pair}, DTLS ${viewer.dtls_role}, ${viewer.dtls_cipher}, ` +
    `SRTP ${viewer.srtp}; counters ${played.first}..${played.last}`);
  return { meta, viewer, id };
}

async function assertGone(id, status = () => getStatus(service.url)) {
  await waitUntil(async () => !(await status()).viewers.some((v) => v.id === id), 5000,
    `viewer ${id} still in /api/status after DELETE`);
}

async function playLoopback(what, extra, expect) {
  const run = await playPion(new URL('whep', service.url).href, extra);
  try {
    const { meta, viewer, id } = assertSession(run, { what, ...expect });
    assert.equal(meta.ice_pair.remote.address, '127.0.0.1');
    assert.match(viewer.ice_pair, /^host udp 127\.0\.0\.1:\d+ -> host udp 127\.0\.0\.1:\d+$/);
    await assertGone(id);
  } finally {
    run.result.cleanup();
  }
}

test('Pion with its default ECDSA certificate plays 300 frames (Pion is the DTLS server)', { timeout: 120000 }, () =>
  playLoopback('pion ECDSA', ['--certificate', 'ecdsa'],
    { answerSetup: 'active', pionRole: 'server', cipher: /^TLS_ECDHE_ECDSA_/ }));

test('Pion with an RSA certificate plays 300 frames (ECDHE-RSA, Pion is the DTLS server)', { timeout: 120000 }, () =>
  playLoopback('pion RSA', ['--certificate', 'rsa'],
    { answerSetup: 'active', pionRole: 'server', cipher: /^TLS_ECDHE_RSA_/ }));

// Pion's own offers always say a=setup:actpass (tests/players/pion-whep-play/
// main.go says where in Pion's source); the player POSTs its offer with a=setup:active,
// the service answers passive, and Pion takes the client role from that.
test('Pion as the DTLS client (offer a=setup:active): the service is the server and streams', { timeout: 120000 }, () =>
  playLoopback('pion DTLS client', ['--offer-setup', 'active'],
    { answerSetup: 'passive', pionRole: 'client', cipher: /^TLS_ECDHE_ECDSA_/ }));

test('Pion as the DTLS client with an RSA certificate (the service checks an RSA client certificate)',
  { timeout: 120000 }, () =>
    playLoopback('pion DTLS client RSA', ['--offer-setup', 'active', '--certificate', 'rsa'],
      { answerSetup: 'passive', pionRole: 'client', cipher: /^TLS_ECDHE_ECDSA_/ }));

// As DTLS client the service lists AES128_CM_SHA1_80 first and Pion (the
// server) takes the client's first; a Pion offering only GCM gets GCM.
test('SRTP AEAD_AES_128_GCM with the service as DTLS client', { timeout: 120000 }, () =>
  playLoopback('pion GCM', ['--srtp', 'aead-aes-128-gcm'],
    { answerSetup: 'active', pionRole: 'server', cipher: /^TLS_ECDHE_ECDSA_/, srtp: 'SRTP_AEAD_AES_128_GCM' }));

test('SRTP AES128_CM_SHA1_80 with the service as DTLS server', { timeout: 120000 }, () =>
  playLoopback('pion SHA1_80 client', ['--offer-setup', 'active', '--srtp', 'aes128-cm-sha1-80'],
    { answerSetup: 'passive', pionRole: 'client', cipher: /^TLS_ECDHE_ECDSA_/, srtp: 'SRTP_AES128_CM_HMAC_SHA1_80' }));

// Pion 3.1.56 writes a=rtcp-fb:102 nack with a trailing space ("nack ");
// the service's parser compared the whole rest of the line, found no
// known feedback, and left nack out of its answer: no NACK negotiated.
test('the answer to Pion\'s offer keeps "a=rtcp-fb:<pt> nack"',
  { timeout: 60000 }, async () => {
    const { result } = await playPion(new URL('whep', service.url).href, [], { frames: 1 });
    try {
      assert.equal(result.code, 0, result.log.slice(-4000));
      assert.match(result.meta.offer, /^a=rtcp-fb:102 nack \r$/m, 'Pion\'s offer changed');
      assert.match(result.meta.answer, /^a=rtcp-fb:102 nack\r$/m);
    } finally {
      result.cleanup();
    }
  });

// The contract's other half: a failure is an exit status and a reason,
// and a session that was created is DELETEd even then.
test('a refused offer and a timeout: exit status 1, the reason, and no session left behind', { timeout: 60000 }, async () => {
  const refused = await runPlayer(player, ['--url', new URL('no-such-endpoint', service.url).href, '--frames', '10',
    '--timeout', '20'], { timeoutMs: 30000 });
  refused.cleanup();
  assert.equal(refused.code, 1, refused.log);
  assert.match(refused.log, /FAILED: WHEP POST \S+ answered 404/);

  const late = await runPlayer(player, ['--url', new URL('whep', service.url).href, '--frames', '100000',
    '--timeout', '3'], { timeoutMs: 30000 });
  late.cleanup();
  assert.equal(late.code, 1, late.log);
  assert.match(late.log, /FAILED: timed out after 3s: \d+ of 100000 frames \(ICE connected, DTLS connected;/);
  assert.equal(late.meta.delete_status, 200, late.log);
  await assertGone(late.meta.session.split('/').pop());
});

const skipNetns = canRun() || false;

test('behind the NAT with coturn as STUN: Pion in the browser namespace plays through the srflx candidate',
  { skip: skipNetns, timeout: 120000 }, async () => {
    const topo = new Topology({ browserFirewall: true }).up();
    let run;
    try {
      await topo.startCoturn({ stunOnly: true });
      const svc = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6', '--fps', PLAYER_FPS]);
      await waitUntil(() => topo.status().network.stun_state === 'ok', 10000, 'STUN probe did not succeed');
      const external = topo.status().network.stun_external_address;
      assert.match(external, /^203\.0\.113\.1:\d+$/);
      const status = async () => topo.status();
      run = await playPion(new URL('whep', svc.url).href, [], { wrap: ['ip', 'netns', 'exec', topo.br], status });
      const { meta, viewer, id } = assertSession(run,
        { what: 'pion behind NAT', answerSetup: 'active', pionRole: 'server', cipher: /^TLS_ECDHE_ECDSA_/ });
      const candidates = meta.answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      const srflx = candidates.find((l) => / 203\.0\.113\.1 \d+ typ srflx /.test(l));
      assert.ok(srflx, meta.answer);
      assert.ok(!candidates.some((l) => / 127\.0\.0\.1 /.test(l)), 'loopback offered');
      // Both ends selected the pair through the service's srflx
      // candidate (the private address is unroutable from the browser
      // namespace, whose firewall lets in only what Pion started).
      const port = Number(srflx.split(' ')[5]);
      assert.deepEqual(meta.ice_pair.remote, { type: 'srflx', address: '203.0.113.1', port });
      assert.equal(meta.ice_pair.local.type, 'host');
      assert.equal(meta.ice_pair.local.address, '203.0.113.2');
      assert.equal(viewer.ice_pair, `srflx udp 203.0.113.1:${port} -> host udp 203.0.113.2:${meta.ice_pair.local.port}`);
      await assertGone(id, status);
    } catch (e) {
      for (const c of topo.children) console.log(`--- ${c.label} log:\n${c.log.slice(-3000)}`);
      throw e;
    } finally {
      run?.result.cleanup();
      await topo.down();
    }
  });
