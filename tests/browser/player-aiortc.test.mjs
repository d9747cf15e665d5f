// aiortc (Python: aioice ICE, DTLS through pyOpenSSL / OpenSSL 3, SRTP
// through pylibsrtp, H.264 decoded by PyAV) plays the stream through WHEP:
// on loopback, behind the namespace NAT with coturn as STUN (srflx), and
// IPv6 only.  The player is tests/players/aiortc-whep-play.py; it writes
// the top luma rows of every decoded picture and the test reads the
// barcode's frame counter from them (issue 12).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startService, getStatus } from './lib/service.mjs';
import { runPlayer, assertPlayed, debianPython, playersDir, PLAYER_FPS } from './lib/external-player.mjs';
import { Topology, canRun, waitUntil } from '../net/netns.mjs';

const player = path.join(playersDir, 'aiortc-whep-play.py');
const netSkip = canRun() || false;
const FRAMES = 300;

// The player's command line; the whole run (ICE, DTLS, 300 pictures at
// PLAYER_FPS, DELETE) takes ~6 s on loopback.
function play(url, { wrap = [], timeoutS = 60, extra = [] } = {}) {
  return runPlayer(debianPython, [player, '--url', new URL('whep', url).href, '--frames', String(FRAMES),
    '--timeout', String(timeoutS), ...extra], { wrap, timeoutMs: (timeoutS + 20) * 1000 });
}

function candidates(sdp) {
  return (sdp || '').split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
}

// What aiortc negotiated, for the log: these are the facts issue 12 asks
// each client to report.
function describe(meta) {
  return `aiortc ${meta.version} (${meta.openssl}): DTLS ${meta.dtls_role} ${meta.dtls_version} ` +
    `${meta.dtls_cipher}, SRTP ${meta.srtp_profile}, certificate ${meta.certificate}, ` +
    `ICE ${meta.ice_local} -> ${meta.ice_remote}, first picture after ${meta.first_picture_s} s`;
}

// The facts every run must show: aiortc offers actpass, the service answers
// active (it is the DTLS client), aiortc is the DTLS server.
function assertNegotiated(meta) {
  assert.ok(meta.offer_h264_fmtp.some((l) => /packetization-mode=1/.test(l) && /profile-level-id=42e01f/.test(l)),
    meta.offer_h264_fmtp.join('\n'));
  assert.match(meta.answer, /a=setup:active/);
  assert.equal(meta.dtls_role, 'server');
  assert.equal(meta.dtls_version, 'DTLSv1.2');
  assert.match(meta.dtls_cipher, /^ECDHE-ECDSA-/);
  assert.equal(meta.srtp_profile, 'SRTP_AES128_CM_SHA1_80');
  assert.equal(meta.delete_status, 200, 'DELETE of the session');
}

// While the player runs: the viewer the service's /api/status lists as
// streaming (status: a function returning it), or null if none showed
// before the player ended.
async function streamingViewer(running, status) {
  let finished = false;
  running.then(() => { finished = true; });
  while (!finished) {
    const viewer = (await status()).viewers.find((v) => v.state === 'streaming');
    if (viewer) return viewer;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

async function withTopology(opts, fn) {
  const topo = new Topology(opts).up();
  try {
    await fn(topo);
  } catch (e) {
    for (const c of topo.children) console.log(`--- ${c.label} log:\n${c.log.slice(-3000)}`);
    throw e;
  } finally {
    await topo.down();
  }
}

let service;

before(async () => {
  service = await startService(['--width', '640', '--height', '360', '--fps', PLAYER_FPS]);
});

after(async () => {
  if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
});

test('aiortc on loopback: 300 decoded pictures, counter advancing, viewer streaming then gone after DELETE',
  { timeout: 120000 }, async () => {
    const running = play(service.url);
    const streaming = await streamingViewer(running, () => getStatus(service.url));
    const result = await running;
    try {
      const played = assertPlayed(assert, result, FRAMES, 'aiortc');
      console.log(`# ${describe(result.meta)}; counters ${played.first}..${played.last}`);
      assertNegotiated(result.meta);
      assert.ok(streaming, `the service never listed the viewer as streaming:\n${service.log().slice(-3000)}`);
      assert.equal(streaming.dtls, 'connected');
      assert.equal(streaming.srtp, 'AES128_CM_SHA1_80');
      assert.match(streaming.ice_pair, /127\.0\.0\.1.* -> .*127\.0\.0\.1/);
      assert.equal(result.meta.ice_local.split(' ')[1], '127.0.0.1', 'aiortc gathered on loopback');
      // The DELETE ended the session at once (no 30 s consent expiry).
      assert.deepEqual((await getStatus(service.url)).viewers, []);
    } finally {
      result.cleanup();
    }
  });

test('aiortc behind the NAT with coturn as STUN: it plays through the service\'s srflx candidate',
  { skip: netSkip, timeout: 120000 }, async () => {
    await withTopology({ browserFirewall: true }, async (topo) => {
      await topo.startCoturn({ stunOnly: true });
      const { url } = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6', '--fps', PLAYER_FPS]);
      await waitUntil(() => topo.status().network.stun_state === 'ok', 10000, 'STUN probe did not succeed');
      // url: the router's port forward to the service's HTTP port.  The
      // player's firewall lets in only what it started and the service's
      // private address is unroutable from it: only the srflx candidate
      // can work.
      const running = play(url, { wrap: ['ip', 'netns', 'exec', topo.br] });
      const viewer = await streamingViewer(running, () => topo.status());
      const result = await running;
      try {
        const played = assertPlayed(assert, result, FRAMES, 'aiortc behind NAT');
        console.log(`# ${describe(result.meta)}; counters ${played.first}..${played.last}; service pair ${viewer?.ice_pair}`);
        assertNegotiated(result.meta);
        const lines = candidates(result.meta.answer);
        assert.ok(lines.some((l) => / 203\.0\.113\.1 \d+ typ srflx /.test(l)), lines.join('\n'));
        assert.match(result.meta.ice_remote, /^srflx 203\.0\.113\.1 \d+$/);
        assert.match(result.meta.ice_local, /^host 203\.0\.113\.2 \d+$/);
        assert.ok(viewer, 'the service never listed the viewer as streaming');
        // The service's side of the pair: its srflx candidate (the NAT's
        // mapping, the port aiortc sent to) and the player's address.
        const srflxPort = result.meta.ice_remote.split(' ')[2];
        assert.match(viewer.ice_pair, new RegExp(`^srflx udp 203\\.0\\.113\\.1:${srflxPort} -> host udp 203\\.0\\.113\\.2:`));
        assert.deepEqual(topo.status().viewers, []);
      } finally {
        result.cleanup();
      }
    });
  });

test('aiortc over IPv6 only: 300 decoded pictures, counter advancing',
  { skip: netSkip, timeout: 120000 }, async () => {
    await withTopology({ v4: false, v6: true, nat: 'none' }, async (topo) => {
      const { url } = await topo.startService(['--no-stun', '--http-address', '::', '--fps', PLAYER_FPS]);
      const result = await play(url, { wrap: ['ip', 'netns', 'exec', topo.br] });
      try {
        const played = assertPlayed(assert, result, FRAMES, 'aiortc IPv6');
        console.log(`# ${describe(result.meta)}; counters ${played.first}..${played.last}`);
        assertNegotiated(result.meta);
        assert.match(result.meta.ice_local, /^host fd77:2::2 \d+$/);
        assert.match(result.meta.ice_remote, /^host fd77:1::2 \d+$/);
      } finally {
        result.cleanup();
      }
    });
  });

// The other DTLS role: an offer with a=setup:active (aiortc itself always
// offers actpass; the player writes active into the offer it sends), the
// service answers passive and is the DTLS server, aiortc (OpenSSL 3) the
// client.  It failed for three reasons, each found with this player:
// OpenSSL fragments even a 245-byte ClientHello and wolfSSL's server drops
// fragmented ones (src/dtls/dtls-hello-defrag.c); OpenSSL 3 refuses a
// server without renegotiation_info (HAVE_SERVER_RENEGOTIATION_INFO in
// scripts/wolfssl.sh); the service protected SRTP with the client's key in
// the server role (peer.c).
test('aiortc as DTLS client (offer a=setup:active): the service is the DTLS server',
  { timeout: 60000 },
  async () => {
    const result = await play(service.url, { timeoutS: 20, extra: ['--setup', 'active'] });
    try {
      assertPlayed(assert, result, FRAMES, 'aiortc as DTLS client');
      console.log(`# ${describe(result.meta)}`);
      // aiortc finished the handshake as client: the service was the server.
      assert.match(result.meta.answer, /a=setup:passive/);
      assert.equal(result.meta.dtls_role, 'client');
      assert.equal(result.meta.srtp_profile, 'SRTP_AES128_CM_SHA1_80');
    } finally {
      result.cleanup();
    }
  });
