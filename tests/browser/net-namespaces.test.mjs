// The network cases of issue 5, each in namespaces this test creates
// (root only; skipped otherwise): the service behind a NAT with a local
// coturn as STUN (srflx), static 1:1 NAT (public-addresses), TURN over
// TCP and over TLS when UDP is dropped (with ICE-TCP off, which would
// otherwise reach the service without TURN: reach.test), TURN REST credentials, an
// unreachable STUN server that comes back, IPv6-only / dual-stack /
// --no-ipv6, and 10% loss + 100 ms delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canRun, waitUntil, inNs } from '../net/netns.mjs';
import { openPlayerIn, waitFrames, browserIce, candidates, withTopology } from './lib/netns-player.mjs';

const skip = canRun() || false;

const openPlayer = (topo, url) => openPlayerIn(topo, topo.br, url);
const waitPlaying = waitFrames;

// The stream came through the service's own relay on the namespace's
// coturn: a relay candidate in the answer, the browser's remote candidate,
// and the service's selected pair.
async function assertServiceRelay(topo, page) {
  const ice = await browserIce(page);
  assert.ok(candidates(ice.answer).some((l) => / 203\.0\.113\.2 \d+ typ relay /.test(l)), ice.answer);
  assert.equal(ice.remote.candidateType, 'relay');
  const viewer = topo.status().viewers.find((v) => v.state === 'streaming');
  assert.match(viewer.ice_pair, /^relay /);
}

test('behind a NAT with coturn as STUN: the default-route interface, a srflx candidate, and the browser uses it',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ browserFirewall: true }, async (topo, keep) => {
      await topo.startCoturn({ stunOnly: true });
      const service = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6']);
      await waitUntil(() => topo.status().network.stun_state === 'ok', 10000, 'STUN probe did not succeed');
      const net = topo.status().network;
      assert.deepEqual(net.interfaces, ['eth0']);
      assert.deepEqual(net.addresses, ['10.77.1.2']);
      assert.equal(net.address_choice, 'default route');
      assert.match(net.stun_external_address, /^203\.0\.113\.1:\d+$/);
      // The browser's firewall only lets in what it started, and the
      // private address is unroutable: only the srflx candidate works.
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page);
      const ice = await browserIce(page);
      assert.ok(candidates(ice.answer).some((l) => / 203\.0\.113\.1 \d+ typ srflx /.test(l)), ice.answer);
      assert.ok(!candidates(ice.answer).some((l) => / 127\.0\.0\.1 /.test(l)), 'loopback offered');
      assert.equal(ice.remote.candidateType, 'srflx');
      assert.equal(ice.remote.address, '203.0.113.1');
    });
  });

test('static 1:1 NAT: public-addresses become host candidates with the real ports, no STUN',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: { public: '203.0.113.10' }, browserFirewall: true }, async (topo, keep) => {
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--public-address', '203.0.113.10']);
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page);
      const ice = await browserIce(page);
      const lines = candidates(ice.answer);
      const priv = lines.find((l) => / 10\.77\.1\.2 /.test(l));
      const pub = lines.find((l) => / 203\.0\.113\.10 /.test(l));
      assert.ok(priv && pub, ice.answer);
      assert.equal(pub.split(' ')[5], priv.split(' ')[5], 'same port as the real host candidate');
      assert.match(pub, /typ host/);
      assert.equal(ice.remote.address, '203.0.113.10');
      assert.deepEqual(topo.status().network.public_addresses, ['203.0.113.10']);
      assert.equal(topo.status().network.stun_state, 'off');
    });
  });

test('all UDP between browser and service dropped: the stream goes through coturn TURN over TCP, Link header names it',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: 'none', dropUdp: true }, async (topo, keep) => {
      await topo.startCoturn();
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--no-ice-tcp', '--turn', 'turn:203.0.113.2:3478?transport=tcp',
        '--turn-username', 'u', '--turn-password', 'p']);
      await waitUntil(() => topo.status().network.turn[0]?.address === '203.0.113.2', 5000, 'TURN not resolved');
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      const link = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        await pc.setLocalDescription(await pc.createOffer());
        const res = await fetch('whep', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
        const l = res.headers.get('Link');
        await fetch(new URL(res.headers.get('Location'), location.href), { method: 'DELETE' });
        pc.close();
        return l;
      });
      assert.match(link, /<turn:203\.0\.113\.2:3478\?transport=tcp>; rel="ice-server"; username="u"; credential="p"/);
      await waitPlaying(page);
      await assertServiceRelay(topo, page);
    });
  });

test('TURN REST API: time-limited credentials from turn-secret for the service and the browser',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: 'none', dropUdp: true }, async (topo, keep) => {
      await topo.startCoturn({ secret: 'kvm-shared-secret' });
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--no-ice-tcp', '--turn', 'turn:203.0.113.2:3478?transport=tcp',
        '--turn-username', 'kvm', '--turn-secret', 'kvm-shared-secret', '--turn-credential-ttl', '3600']);
      await waitUntil(() => topo.status().network.turn[0]?.address === '203.0.113.2', 5000, 'TURN not resolved');
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      const link = await page.evaluate(async () => (await fetch('whep', { method: 'OPTIONS' })).headers.get('Link'));
      const m = link.match(/username="(\d+):kvm"; credential="([^"]+)"/);
      assert.ok(m, link);
      const expires = Number(m[1]) - Date.now() / 1000;
      assert.ok(expires > 3500 && expires <= 3600, `expires in ${expires} s`);
      const { createHmac } = await import('node:crypto');
      assert.equal(m[2], createHmac('sha1', 'kvm-shared-secret').update(`${m[1]}:kvm`).digest('base64'));
      await waitPlaying(page);
      await assertServiceRelay(topo, page);
    });
  });

// libnice 0.1.21 has no TLS client (its TURN_TLS type is Google's old
// pseudo-SSL): the service runs its own wolfSSL tunnel that libnice's TURN
// over TCP connects to.  The router checks what goes to port 5349 is TLS.
test('all UDP between browser and service dropped: the stream goes through coturn TURN over TLS (certificate checked)',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: 'none', dropUdp: true }, async (topo, keep) => {
      await topo.startCoturn({ tls: true, verbose: true });
      await waitUntil(() => inNs(topo.br, 'ss', '-lnt').includes('203.0.113.2:5349'), 5000, 'coturn not listening on 5349');
      topo.watchTcpFirstByte(5349);
      // The probe itself: a real TLS client through the router is counted.
      inNs(topo.svc, 'sh', '-c', 'openssl s_client -connect 203.0.113.2:5349 </dev/null >/dev/null 2>&1 || true');
      const control = topo.tcpFirstBytes();
      assert.ok(control.tls_handshake > 0, `the probe saw no ClientHello from openssl s_client: ${JSON.stringify(control)}`);
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--no-ice-tcp', '--turn', 'turns:203.0.113.2:5349',
        '--turn-username', 'u', '--turn-password', 'p', '--turn-tls-ca', topo.turnCert]);
      await waitUntil(() => topo.status().network.turn[0]?.address === '203.0.113.2', 5000, 'TURN not resolved');
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page);
      await assertServiceRelay(topo, page);
      // The service's own bytes to the TLS port: a ClientHello, no STUN.
      const seen = topo.tcpFirstBytes();
      console.log(`# towards 203.0.113.2:5349: openssl control ${JSON.stringify(control)}, with the service ${JSON.stringify(seen)}`);
      assert.equal(seen.stun_plain, 0, `the service spoke plaintext STUN to the TLS port (${JSON.stringify(seen)})`);
      assert.ok(seen.tls_handshake > control.tls_handshake, `the service sent no TLS ClientHello (${JSON.stringify(seen)})`);
      const [tunnel] = topo.status().turn_tls_tunnels;
      assert.equal(tunnel.server, '203.0.113.2:5349');
      assert.ok(tunnel.connections > 0 && tunnel.failures === 0, JSON.stringify(tunnel));
    });
  });

test('STUN unreachable: starts, serves host candidates, says so, and learns the address when the server appears',
  { skip, timeout: 120000 }, async () => {
    await withTopology({}, async (topo, keep) => {
      const service = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6']);
      await waitUntil(() => topo.status().network.stun_state === 'failed', 10000, 'no STUN failure reported');
      const failed = topo.status().network;
      assert.match(failed.stun_error, /no answer from STUN server 203\.0\.113\.2:3478/);
      assert.equal(failed.stun_external_address, null);
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page, 30);
      const ice = await browserIce(page);
      assert.ok(!candidates(ice.answer).some((l) => /typ srflx/.test(l)));
      await topo.startCoturn({ stunOnly: true });
      await waitUntil(() => topo.status().network.stun_state === 'ok', 40000, 'STUN address not learnt after the server appeared');
      assert.match(topo.status().network.stun_external_address, /^203\.0\.113\.1:\d+$/);
      assert.equal(service.child.exitCode, null);
    });
  });

for (const [name, opts, args, expect] of [
  ['IPv6-only', { v4: false, v6: true, nat: 'none' }, [], { v4: false, v6: true }],
  ['dual-stack', { v4: true, v6: true, nat: 'none' }, [], { v4: true, v6: true }],
  ['dual-stack with --no-ipv6', { v4: true, v6: true, nat: 'none' }, ['--no-ipv6'], { v4: true, v6: false }],
]) {
  test(`${name}: the answer's candidates and the stream`, { skip, timeout: 90000 }, async () => {
    await withTopology(opts, async (topo, keep) => {
      const service = await topo.startService(['--no-stun', '--http-address', '::', ...args]);
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page, 30);
      const lines = candidates((await browserIce(page)).answer);
      assert.equal(lines.some((l) => / fd77:1::2 /.test(l)), expect.v6, lines.join('\n'));
      assert.equal(lines.some((l) => / 10\.77\.1\.2 /.test(l)), expect.v4, lines.join('\n'));
      assert.ok(!lines.some((l) => / fe80:/.test(l)), 'link-local offered');
    });
  });
}

// What the browser measured on the selected pair and the video stream:
// STUN round trip (consent checks: the service's answers cross the delay),
// NACKs sent, frames decoded and freezes.
function linkStats(page) {
  return page.evaluate(async () => {
    const report = await window.hdmirtc.pc.getStats();
    let transport = null, inbound = null;
    report.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) transport = r;
      if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r;
    });
    const pair = transport && report.get(transport.selectedCandidatePairId);
    return {
      rtt: pair?.currentRoundTripTime ?? null,
      nackCount: inbound?.nackCount ?? 0,
      framesDecoded: inbound?.framesDecoded ?? 0,
      freezeCount: inbound?.freezeCount ?? 0,
      freezeSeconds: inbound?.totalFreezesDuration ?? 0,
      packetsLost: inbound?.packetsLost ?? 0,
    };
  });
}

const UNDER_LOSS_S = 8;

test('10% loss and 100 ms delay: NACKs are answered with retransmissions and the stream keeps playing',
  { skip, timeout: 120000 }, async () => {
    await withTopology({ nat: 'none' }, async (topo, keep) => {
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--bitrate', '1500']);
      const { browser, page } = await openPlayer(topo, service.url);
      keep(browser);
      await waitPlaying(page, 30);
      const viewerBefore = topo.status().viewers.find((v) => v.state === 'streaming');
      assert.ok(viewerBefore, 'no streaming viewer before the impairment');
      // tc netem where the kernel has it; else (no sch_netem, as on the CI
      // machine) netem-tun, a userspace netem on the service's egress;
      // else the loss alone, by an nft rule in the router.
      const delayed = await topo.impair('loss 10% delay 100ms');
      const before = await linkStats(page);
      // 8 s under loss: some 240 frames, a few hundred packets NACKed.
      await new Promise((r) => setTimeout(r, UNDER_LOSS_S * 1000));
      const ice = await linkStats(page);
      const viewers = topo.status().viewers;
      const viewer = viewers.find((v) => v.state === 'streaming');
      const emulator = await topo.impairSummary();
      console.log(`# under loss (delay ${delayed ? 'applied' : 'not available'}): browser nackCount ${ice.nackCount}, ` +
        `service retransmitted ${viewer?.retransmitted} (${viewer?.retransmitted_twice} twice), frames decoded in ${UNDER_LOSS_S} s ${ice.framesDecoded - before.framesDecoded}, ` +
        `freezes ${ice.freezeCount - before.freezeCount} (${(ice.freezeSeconds - before.freezeSeconds).toFixed(2)} s), ` +
        `rtt_us ${viewer?.rtt_us}, browser rtt ${ice.rtt} s, fraction_lost ${viewer?.fraction_lost}` +
        (emulator ? `, netem-tun ${JSON.stringify(emulator)}` : ''));
      // No viewer dropped: the same one is still streaming.
      assert.equal(viewer?.id, viewerBefore.id, `the viewer did not survive: ${JSON.stringify(viewers)}`);
      assert.ok(ice.nackCount > 0, 'the browser sent no NACK');
      assert.ok(viewer.retransmitted > 0, 'the service retransmitted nothing');
      // About 10% of the packets NACKed: retransmissions go out twice.
      assert.ok(viewer.retransmitted_twice > 0, `no retransmission sent twice (${viewer.nacked_permille} per mille NACKed)`);
      assert.ok(ice.framesDecoded - before.framesDecoded > 100, `only ${ice.framesDecoded - before.framesDecoded} frames decoded in ${UNDER_LOSS_S} s`);
      if (delayed) {
        assert.ok(viewer.rtt_us >= 100000, `RTT ${viewer.rtt_us} us under 100 ms delay`);
        assert.ok(ice.rtt >= 0.1, `the browser's STUN round trip ${ice.rtt} s under 100 ms delay`);
      }
      if (emulator) {
        // The emulator really dropped about 10% and let the rest through.
        assert.ok(emulator.lost > 0.05 * emulator.received && emulator.lost < 0.15 * emulator.received,
          JSON.stringify(emulator));
        assert.equal(emulator.overflow, 0, JSON.stringify(emulator));
        assert.equal(emulator.send_errors, 0, JSON.stringify(emulator));
      }
    });
  });
