// GStreamer's webrtcbin (Debian's 1.22: libnice, OpenSSL, libsrtp2,
// avdec_h264) plays the stream through WHEP: tests/players/gst-whep-play.py
// decodes 300 pictures and the barcode counter in them advances, with
// webrtcbin's own RSA certificate and with an ECDSA P-256 one, with the
// service as DTLS client (its default answer to actpass) and as DTLS server
// (--dtls-role server), and from behind the netns NAT (srflx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runPlayer, assertPlayed, playersDir, debianPython, PLAYER_FPS } from './lib/external-player.mjs';
import { startService, getStatus } from './lib/service.mjs';
import { Topology, canRun, waitUntil } from '../net/netns.mjs';

const player = path.join(playersDir, 'gst-whep-play.py');
const FRAMES = 300;
// 300 pictures at PLAYER_FPS are 5 s; the player gives up well before the
// test does, so a failure comes with its own message.
const PLAYER_TIMEOUT_S = 45;

// Runs the player against the WHEP endpoint at url while reading
// /api/status every 250 ms (status: () => Promise<status JSON>); resolves
// with the run and the last status of its viewer while it streamed.
async function playWatching(url, playerArgs, status, runOpts = {}) {
  let viewer = null;
  let done = false;
  const watch = (async () => {
    while (!done) {
      try {
        const v = (await status()).viewers.find((x) => x.state === 'streaming');
        if (v) viewer = v;
      } catch { /* the service is busy starting the viewer: next round */ }
      await sleep(250);
    }
  })();
  const result = await runPlayer(debianPython, [player, '--url', new URL('whep', url).href,
    '--frames', String(FRAMES), '--timeout', String(PLAYER_TIMEOUT_S), ...playerArgs],
  { timeoutMs: (PLAYER_TIMEOUT_S + 15) * 1000, ...runOpts });
  done = true;
  await watch;
  return { result, viewer };
}

// What the player read back from webrtcbin and what the service says
// about the same session agree with the roles and certificate expected.
function assertNegotiated(result, viewer, { playerRole, certificate }) {
  const { meta } = result;
  const serviceRole = playerRole === 'client' ? 'server' : 'client';
  assert.equal(meta.dtls_role, playerRole, `webrtcbin's DTLS role: ${JSON.stringify(meta)}`);
  assert.match(meta.certificate, certificate, 'the certificate webrtcbin used');
  assert.equal(meta.srtp_profile, 'SRTP_AES128_CM_SHA1_80');
  assert.ok(viewer, `/api/status never showed the viewer streaming:\n${result.log.slice(-3000)}`);
  assert.equal(viewer.dtls, 'connected');
  assert.equal(viewer.dtls_role, serviceRole);
  assert.match(viewer.srtp, /AES128_CM_SHA1_80/);
  // The suite follows the certificate the DTLS server holds.
  const serverCert = playerRole === 'server' ? meta.certificate : meta.remote_certificate;
  assert.match(viewer.dtls_cipher, serverCert.startsWith('RSA') ? /^ECDHE-RSA-/ : /^ECDHE-ECDSA-/,
    `cipher ${viewer.dtls_cipher} with a ${serverCert} server certificate`);
  assert.ok([200, 204].includes(meta.delete_status), `DELETE answered ${meta.delete_status}`);
  console.log(`webrtcbin ${meta.version}: DTLS ${meta.dtls_role} with ${meta.certificate}, ` +
    `${viewer.dtls_cipher}, ${viewer.srtp}; ${meta.frames_decoded} pictures, first after ` +
    `${meta.first_picture_s} s; service pair ${viewer.ice_pair}`);
}

// What the player saw, for a failure report: the stream's health and the
// negotiation, without the SDP.
function playerSummary(result) {
  if (!result?.meta) return 'no player JSON';
  const { offer, answer, ...rest } = result.meta;
  return JSON.stringify(rest);
}

// One service per case (its DTLS role is a start option); loopback only.
async function playOnLoopback({ serviceArgs = [], playerArgs = [], playerRole, certificate }) {
  const service = await startService(['--width', '640', '--height', '360', '--fps', PLAYER_FPS,
    '--log-level', 'debug', ...serviceArgs]);
  let result;
  try {
    const run = await playWatching(service.url, playerArgs, () => getStatus(service.url));
    result = run.result;
    assertPlayed(assert, result, FRAMES, 'webrtcbin');
    assertNegotiated(result, run.viewer, { playerRole, certificate });
    // The player sent DELETE before it exited: the viewer is gone.
    const after = await getStatus(service.url);
    assert.deepEqual(after.viewers, [], 'viewer still listed after DELETE');
  } catch (e) {
    console.log(`--- player: ${playerSummary(result)}`);
    console.log(`--- service log:\n${service.log().slice(-6000)}`);
    throw e;
  } finally {
    result?.cleanup();
    assert.equal(await service.stop(), 0, service.log().slice(-3000));
  }
}

test("webrtcbin with its own RSA certificate plays; the service is the DTLS client (answers active)",
  { timeout: 90000 }, () => playOnLoopback({ playerRole: 'server', certificate: /^RSA /,
    playerArgs: ['--certificate', 'rsa'] }));

test('webrtcbin with an ECDSA P-256 certificate plays; the service is the DTLS client',
  { timeout: 90000 }, () => playOnLoopback({ playerRole: 'server', certificate: /^ECDSA P-256$/,
    playerArgs: ['--certificate', 'ecdsa'] }));

test('webrtcbin with its own RSA certificate plays; the service is the DTLS server (--dtls-role server answers passive)',
  { timeout: 90000 }, () => playOnLoopback({ playerRole: 'client', certificate: /^RSA /,
    serviceArgs: ['--dtls-role', 'server'], playerArgs: ['--certificate', 'rsa'] }));

test('webrtcbin with an ECDSA P-256 certificate plays; the service is the DTLS server',
  { timeout: 90000 }, () => playOnLoopback({ playerRole: 'client', certificate: /^ECDSA P-256$/,
    serviceArgs: ['--dtls-role', 'server'], playerArgs: ['--certificate', 'ecdsa'] }));

// tests/net/netns.mjs: svc (10.77.1.2) -- router (NAT to 203.0.113.1) --
// br (203.0.113.2, coturn, the player).  The player's firewall lets in only
// what it started and the private address is unreachable, so only the
// service's srflx candidate (learnt from the coturn) can carry the stream.
test('behind the NAT with coturn as STUN, webrtcbin plays through the service\'s srflx candidate',
  { skip: canRun() || false, timeout: 90000 }, async () => {
    const topo = new Topology({ browserFirewall: true }).up();
    let result;
    try {
      await topo.startCoturn({ stunOnly: true });
      const service = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6', '--fps', PLAYER_FPS]);
      await waitUntil(() => topo.status().network.stun_state === 'ok', 10000, 'STUN probe did not succeed');
      // The player has a public address of its own (its host candidate
      // is what the service sees): it needs no STUN server.
      const run = await playWatching(service.url, [], async () => topo.status(),
        { wrap: ['ip', 'netns', 'exec', topo.br] });
      result = run.result;
      assertPlayed(assert, result, FRAMES, 'webrtcbin behind NAT');
      const { meta } = result;
      const answer = meta.answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      assert.ok(answer.some((l) => / 203\.0\.113\.1 \d+ typ srflx/.test(l)), answer.join('\n'));
      assert.ok(!answer.some((l) => / 127\.0\.0\.1 /.test(l)), 'loopback offered');
      // webrtcbin's selected pair: its remote end is the service's srflx.
      assert.match(meta.ice_remote, /^srflx 203\.0\.113\.1 \d+$/, JSON.stringify(meta));
      assert.match(meta.ice_local, /^(host|prflx|srflx) 203\.0\.113\.2 \d+$/);
      // The service's own view of the pair: its srflx candidate (the NAT's
      // address) to the player's host candidate.
      assert.ok(run.viewer, 'the service never showed the viewer streaming');
      assert.match(run.viewer.ice_pair, /^srflx udp 203\.0\.113\.1:\d+ -> host udp 203\.0\.113\.2:\d+$/);
      assert.match(run.viewer.srtp, /AES128_CM_SHA1_80/);
      assert.deepEqual(topo.status().viewers, [], 'viewer still listed after DELETE');
      console.log(`behind NAT: webrtcbin ${meta.ice_local} -> ${meta.ice_remote}; service ${run.viewer.ice_pair}`);
    } catch (e) {
      console.log(`--- player: ${playerSummary(result)}`);
      for (const c of topo.children) console.log(`--- ${c.label} log:\n${c.log.slice(-3000)}`);
      throw e;
    } finally {
      result?.cleanup();
      await topo.down();
    }
  });
