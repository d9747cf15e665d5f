// The service feeding Janus SFUs (root only; skipped otherwise, or when
// Janus is not installed): it creates a Streaming mountpoint on every
// Janus it is given (--janus URL, repeatable) and sends it plain RTP
// (H.264 and Opus) and RTCP on loopback; chromium watches through Janus.
// Janus gathers no ICE candidates on loopback, so it runs in the service's
// namespace of a Topology (tests/net/netns.mjs) with ICE on eth0 only; the
// browser's namespace reaches it through the router (no NAT).
//   cd tests/browser && HDMIRTC_BUILD_DIR=../../build node --test janus.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, canRun, waitUntil } from '../net/netns.mjs';
import { startJanus, janusMissing, mountpointInfo } from '../net/janus.mjs';
import { longestGap, openPlayerIn } from './lib/netns-player.mjs';
import {
  openJanusPlayer, waitJanusFrames, janusInbound, janusBarcode, waitBarcodeAdvance, janusFrameTimes,
  closeJanusPlayer,
} from './lib/janus-player.mjs';

const skip = canRun() || janusMissing() || false;

const MOUNTPOINT = 7;
const ADMIN_KEY = 'k-admin';
const SECRET = 's-mount';

function serviceArgs(urls) {
  return ['--no-stun', '--no-ipv6', ...urls.flatMap((u) => ['--janus', u]),
    '--janus-mountpoint', String(MOUNTPOINT), '--janus-admin-key', ADMIN_KEY, '--janus-secret', SECRET];
}

// The service's publication to the Janus at url (GET /api/status).
function publication(topo, url) {
  const pubs = topo.status().publications;
  assert.ok(Array.isArray(pubs), 'no publications in /api/status');
  return pubs.find((p) => p.url === url);
}

async function waitFeeding(topo, url, timeoutMs = 15000, also = () => true) {
  let last;
  try {
    await waitUntil(() => {
      last = publication(topo, url);
      return last?.state === 'feeding' && also(last);
    }, timeoutMs);
  } catch {
    throw new Error(`publication to ${url} not feeding after ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }
  return last;
}

// A Topology without NAT for fn(topo, players), where players collects
// what to close; logs printed on failure; everything torn down.
async function withJanusTopology(fn) {
  const topo = new Topology({ nat: 'none' }).up();
  const players = [];
  try {
    await fn(topo, players);
  } catch (e) {
    for (const c of topo.children) {
      const { exitCode, signalCode } = c.child;
      const how = exitCode === null && signalCode === null ? 'running' : `exited ${exitCode ?? signalCode}`;
      console.log(`--- ${c.label} (${how}) log:\n${c.log.slice(-4000)}`);
    }
    try { console.log(`--- status:\n${JSON.stringify(topo.status().publications, null, 1)}`); } catch { /* gone */ }
    throw e;
  } finally {
    for (const p of players) await closeJanusPlayer(p);
    await topo.down();
  }
}

// A chromium in the browser's namespace watching the mountpoint through
// the Janus at url; resolves once it showed more than 60 frames.
async function watch(topo, players, url) {
  const player = await openJanusPlayer(topo, topo.br, url, MOUNTPOINT);
  players.push(player);
  await waitJanusFrames(player.page, 60, 30000);
  return player;
}

// What a live picture is: decoded video, Opus packets, and the test
// pattern's barcode counter going forward.
async function assertLive(page) {
  const inbound = await janusInbound(page);
  assert.ok(inbound.video?.framesDecoded > 60, `video: ${JSON.stringify(inbound.video)}`);
  await waitUntil(async () => (await janusInbound(page)).audio?.packetsReceived > 0, 5000,
    `no audio through Janus: ${JSON.stringify((await janusInbound(page)).audio)}`);
  const advance = await waitBarcodeAdvance(page, 15, 10000).catch(async (e) => {
    throw new Error(`barcode not advancing (${e.message}): ${JSON.stringify(await janusBarcode(page))}`);
  });
  assert.ok(advance.to > advance.from, JSON.stringify(advance));
}

test('the service creates its mountpoint on Janus and a Chromium plays it through Janus',
  { skip, timeout: 90000 }, async () => {
    await withJanusTopology(async (topo, players) => {
      const janus = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY });
      await topo.startService(serviceArgs([janus.url]));
      const pub = await waitFeeding(topo, janus.url);
      assert.equal(pub.kind, 'janus-streaming');
      assert.equal(pub.mountpoint, MOUNTPOINT);
      assert.equal(pub.connects, 1);

      const info = await mountpointInfo(topo, topo.svc, janus.url, MOUNTPOINT, SECRET);
      assert.equal(info.id, MOUNTPOINT, JSON.stringify(info));
      const video = info.media?.find((m) => m.type === 'video');
      const audio = info.media?.find((m) => m.type === 'audio');
      assert.equal(video?.codec, 'h264', JSON.stringify(info));
      assert.equal(audio?.codec, 'opus', JSON.stringify(info));
      assert.ok(video.age_ms < 1000 && audio.age_ms < 1000, `stale media: ${JSON.stringify(info.media)}`);
      assert.equal(pub.video_port, video.port);
      assert.equal(pub.video_rtcp_port, video.rtcpport);
      assert.equal(pub.audio_port, audio.port);

      const { page } = await watch(topo, players, janus.url);
      await assertLive(page);
      // Janus asks the source for a keyframe (PLI on the RTCP port) when a
      // viewer starts.
      await waitUntil(() => publication(topo, janus.url).keyframe_requests >= 1, 5000,
        `no keyframe request counted: ${JSON.stringify(publication(topo, janus.url))}`);
      const after = publication(topo, janus.url);
      assert.ok(after.frames_sent > 0 && after.packets_sent >= after.frames_sent, JSON.stringify(after));
      assert.equal(after.state, 'feeding');
    });
  });

test('Janus restarted mid-stream: the publication comes back by itself within 5 s and a viewer plays again',
  { skip, timeout: 90000 }, async () => {
    await withJanusTopology(async (topo, players) => {
      const janus = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY });
      await topo.startService(serviceArgs([janus.url]));
      const before = await waitFeeding(topo, janus.url);
      const first = await watch(topo, players, janus.url);
      await closeJanusPlayer(first);

      // A crash and a supervisor's restart: the new Janus knows neither
      // the service's session nor the mountpoint.
      await janus.kill();
      const restartedAt = Date.now();
      await janus.restart();
      const upMs = Date.now() - restartedAt;
      const pub = await waitFeeding(topo, janus.url, 15000, (p) => p.connects > before.connects);
      const backMs = Date.now() - restartedAt;
      console.log(`# Janus answering ${upMs} ms after its restart; publication feeding again after ${backMs} ms`);
      assert.ok(backMs <= 5000, `publication back after ${backMs} ms (Janus up after ${upMs} ms): ${JSON.stringify(pub)}`);
      assert.equal(pub.connects, before.connects + 1);

      const info = await mountpointInfo(topo, topo.svc, janus.url, MOUNTPOINT, SECRET);
      assert.equal(info.id, MOUNTPOINT, JSON.stringify(info));
      const { page } = await watch(topo, players, janus.url);
      await assertLive(page);
    });
  });

test('two Janus instances fed at once; killing one does not disturb the other',
  { skip, timeout: 90000 }, async () => {
    await withJanusTopology(async (topo, players) => {
      // Distinct ICE and mountpoint port ranges (startJanus derives them
      // from the HTTP port).
      const one = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY, httpPort: 8088 });
      const two = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY, httpPort: 8089 });
      await topo.startService(serviceArgs([one.url, two.url]));
      await waitFeeding(topo, one.url);
      await waitFeeding(topo, two.url);
      assert.deepEqual(topo.status().publications.map((p) => p.url), [one.url, two.url]);

      const { page } = await watch(topo, players, two.url);
      await assertLive(page);

      const from = Date.now();
      await one.kill();
      const states = [];
      while (Date.now() - from < 5000) {
        states.push(publication(topo, two.url).state);
        await new Promise((r) => setTimeout(r, 250));
      }
      const to = Date.now();
      const gap = longestGap(await janusFrameTimes(page), from, to);
      assert.ok(gap.gapMs <= 500, `instance 2's viewer froze ${gap.gapMs.toFixed(0)} ms after instance 1 died`);
      assert.ok(states.every((s) => s === 'feeding'), `publication 2 went through ${[...new Set(states)].join(', ')}`);
      await waitBarcodeAdvance(page, 15, 5000);
      // The service notices that instance 1 is gone.
      await waitUntil(() => publication(topo, one.url).state !== 'feeding', 10000,
        `publication 1 still feeding a dead Janus: ${JSON.stringify(publication(topo, one.url))}`);
      assert.equal(publication(topo, two.url).state, 'feeding');
    });
  });

test('the service restarted: it takes its mountpoint over and the viewer watching through Janus plays on',
  { skip, timeout: 90000 }, async () => {
    await withJanusTopology(async (topo, players) => {
      const janus = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY });
      const first = await topo.startService(serviceArgs([janus.url]));
      const before = await waitFeeding(topo, janus.url);
      const { page } = await watch(topo, players, janus.url);
      await assertLive(page);

      const exited = new Promise((r) => first.child.once('exit', r));
      first.child.kill('SIGTERM');
      await exited;
      const stoppedAt = await janusBarcode(page);
      await topo.startService(serviceArgs([janus.url]));
      const pub = await waitFeeding(topo, janus.url);
      // The same mountpoint (not destroyed and made again): same ports.
      assert.equal(pub.connects, 1);
      assert.deepEqual([pub.video_port, pub.video_rtcp_port, pub.audio_port],
        [before.video_port, before.video_rtcp_port, before.audio_port]);
      assert.equal(topo.children.filter((c) => c.label === 'hdmirtc').length, 2);
      // The page never reconnected: the same session shows the new
      // service's picture.
      const advance = await waitBarcodeAdvance(page, 15, 15000).catch(async (e) => {
        throw new Error(`no picture after the service's restart (${e.message}): before ${JSON.stringify(stoppedAt)}, ` +
          `now ${JSON.stringify(await janusBarcode(page))}`);
      });
      assert.ok(advance.to > advance.from, JSON.stringify(advance));
      const state = await page.evaluate(() => window.__janus.pc.connectionState);
      assert.equal(state, 'connected');
    });
  });

test('the service\'s page plays through Janus with janus.js when janus-viewer-url names it',
  { skip, timeout: 90000 }, async () => {
    await withJanusTopology(async (topo, players) => {
      const janus = await startJanus(topo, topo.svc, { adminKey: ADMIN_KEY });
      const service = await topo.startService([...serviceArgs([janus.url]), '--janus-viewer-url', janus.url]);
      await waitFeeding(topo, janus.url);
      assert.deepEqual(topo.status().janus_viewer, { url: janus.url, mountpoint: MOUNTPOINT });
      // The direct page offers the way through Janus.
      const { browser, page } = await openPlayerIn(topo, topo.br, service.url);
      players.push({ browser });
      await page.waitForFunction(() => !document.getElementById('janus-link').hidden, null, { timeout: 15000 });
      await page.click('#janus-link');
      await page.waitForURL(/janus\.html/);
      try {
        await page.waitForFunction(() => window.hdmirtcJanus?.counters.length > 30, null, { timeout: 30000, polling: 200 });
      } catch (e) {
        throw new Error(`janus.html did not play: ${JSON.stringify(await page.evaluate(() => ({
          state: window.hdmirtcJanus?.state, error: window.hdmirtcJanus?.error,
          frames: window.hdmirtcJanus?.framesPresented })))}`);
      }
      const view = await page.evaluate(() => ({ ...window.hdmirtcJanus, counters: window.hdmirtcJanus.counters.slice(-5) }));
      assert.equal(view.url, janus.url);
      assert.ok(view.counters.at(-1) > view.counters[0], JSON.stringify(view.counters));
      // Janus, not the service, serves this viewer.
      assert.equal(topo.status().viewers.filter((v) => v.state === 'streaming').length, 0);
      await waitUntil(async () => (await mountpointInfo(topo, topo.svc, janus.url, MOUNTPOINT, SECRET)).viewers >= 1,
        5000, 'Janus counts no viewer');
    });
  });
