// Issue 15: WebRTC over the path the browser already uses.  Each case in
// namespaces this test creates (root only; skipped otherwise):
// - the browser reaches the service only over a VPN-style link named
//   tailscale0 (a veth pair: this kernel has no WireGuard) that is not the
//   default route, STUN unreachable: the address the WHEP POST arrived on
//   becomes the viewer's candidate and carries the stream;
// - all UDP between browser and service dropped, no TURN: ICE over TCP
//   (RFC 6544) carries it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canRun, inNs } from '../net/netns.mjs';
import { openPlayerIn, waitFrames, browserIce, candidates, inboundVideo, withTopology } from './lib/netns-player.mjs';

const skip = canRun() || false;

test('only a VPN link (tailscale0, not the default route) reaches the service: the POST\'s arrival address carries the stream',
  { skip, timeout: 90000 }, async () => {
    // The browser's firewall lets in only what it started, and the router
    // drops what the browser sends towards the private network: the
    // service's default-route address is of no use to this browser.
    await withTopology({ browserFirewall: true }, async (topo, keep) => {
      const vpn = topo.addVpn();
      // A STUN server that never answers (nothing listens there).
      const service = await topo.startService(['--stun-server', '203.0.113.2:3478', '--no-ipv6'],
        { urlHost: vpn.svc });
      const net = topo.status().network;
      assert.deepEqual(net.interfaces, ['eth0'], 'the automatic choice is the default route only');
      assert.deepEqual(net.addresses, ['10.77.1.2']);
      const { browser, page } = await openPlayerIn(topo, topo.br, service.url);
      keep(browser);
      await waitFrames(page, 60);
      const ice = await browserIce(page);
      assert.ok(candidates(ice.answer).some((l) => new RegExp(` ${vpn.svc.replace(/\./g, '\\.')} \\d+ typ host`).test(l)),
        ice.answer);
      assert.equal(ice.remote.address, vpn.svc, `the browser's selected pair: ${JSON.stringify(ice.remote)}`);
      const viewer = topo.status().viewers.find((v) => v.state === 'streaming');
      assert.equal(viewer.arrival_address, vpn.svc);
      assert.equal(viewer.arrival_candidate, true);
      assert.match(viewer.ice_pair, new RegExp(`^host udp ${vpn.svc.replace(/\./g, '\\.')}:`));
      assert.notEqual(topo.status().network.stun_state, 'ok');
    });
  });

// POSTs a recorded chromium offer to url from namespace ns; the answer.
function postOfferFrom(ns, url) {
  const offer = readFileSync(new URL('../unit/fixtures/chromium-recvonly-video.sdp', import.meta.url), 'utf8');
  return inNs(ns, process.execPath, '-e',
    `fetch(${JSON.stringify(new URL('whep', url).href)}, { method: 'POST', ` +
    `headers: { 'Content-Type': 'application/sdp' }, body: ${JSON.stringify(offer)} })` +
    '.then((r) => r.text()).then((t) => process.stdout.write(t))');
}

test('the same VPN link with interfaces set explicitly to eth0: no arrival candidate, as configured',
  { skip, timeout: 60000 }, async () => {
    await withTopology({ browserFirewall: true }, async (topo) => {
      const vpn = topo.addVpn();
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--interfaces', 'eth0'],
        { urlHost: vpn.svc });
      const lines = candidates(postOfferFrom(topo.br, service.url));
      assert.ok(lines.some((l) => l.includes(' 10.77.1.2 ')), lines.join('\n'));
      assert.ok(!lines.some((l) => l.includes(` ${vpn.svc} `)), lines.join('\n'));
      const [viewer] = topo.status().viewers;
      assert.equal(viewer.arrival_candidate, false);
    });
  });

test('all UDP between browser and service dropped, no TURN: the stream goes over ICE-TCP',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: 'none', dropUdp: true }, async (topo, keep) => {
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--udp-ports', '20000-20100']);
      const { browser, page } = await openPlayerIn(topo, topo.br, service.url);
      keep(browser);
      await waitFrames(page, 60);
      const ice = await browserIce(page);
      const passive = candidates(ice.answer).find((l) => / tcp \d+ 10\.77\.1\.2 \d+ typ host tcptype passive/i.test(l));
      assert.ok(passive, ice.answer);
      const port = Number(passive.split(' ')[5]);
      assert.ok(port >= 20000 && port <= 20100, `TCP port ${port} outside --udp-ports`);
      assert.equal(ice.local.protocol, 'tcp', JSON.stringify(ice.local));
      assert.equal(ice.remote.address, '10.77.1.2');
      const viewer = topo.status().viewers.find((v) => v.state === 'streaming');
      assert.match(viewer.ice_pair, /^host tcp 10\.77\.1\.2:\d+ -> \w+ tcp /);
      assert.equal(viewer.send_path, 'libnice');
      // Playing on: frames keep coming, glass to glass measured.
      const before = await inboundVideo(page);
      await new Promise((r) => setTimeout(r, 5000));
      const after = await inboundVideo(page);
      const g2g = await page.evaluate(() => window.hdmirtc.latencyMs.slice());
      console.log(`# ICE-TCP: ${after.framesDecoded - before.framesDecoded} frames in 5 s, freezes ${after.freezeCount}, ` +
        `glass to glass median ${g2g.sort((a, b) => a - b)[g2g.length >> 1]?.toFixed(1)} ms`);
      assert.ok(after.framesDecoded - before.framesDecoded > 100, JSON.stringify({ before, after }));
    });
  });

test('ICE-TCP off (--no-ice-tcp), all UDP dropped, no TURN: no TCP candidate and the page falls back to MJPEG',
  { skip, timeout: 90000 }, async () => {
    await withTopology({ nat: 'none', dropUdp: true }, async (topo, keep) => {
      const service = await topo.startService(['--no-stun', '--no-ipv6', '--no-ice-tcp']);
      const { browser, page } = await openPlayerIn(topo, topo.br, service.url);
      keep(browser);
      await page.waitForFunction(() => window.hdmirtc.fallbackReason !== null, null, { timeout: 30000 });
      const answer = await page.evaluate(() => window.__ice[0]?.answer || '');
      assert.ok(candidates(answer).length > 0, answer);
      assert.ok(!candidates(answer).some((l) => / tcp /i.test(l)), answer);
      assert.equal(await page.evaluate(() => window.hdmirtc.mode), 'mjpeg');
    });
  });
