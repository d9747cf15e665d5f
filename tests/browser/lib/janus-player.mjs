// A viewer of a Janus Streaming mountpoint: chromium inside a network
// namespace of a Topology (tests/net/netns.mjs) running a small page that
// speaks Janus's REST API with plain fetch and an RTCPeerConnection (no
// janus.js): create a session, attach janus.plugin.streaming, watch the
// mountpoint, answer Janus's offer, start.  The page comes from a Node
// HTTP server on 127.0.0.1 in the same namespace (a secure context that
// may fetch Janus's private address; Janus's CORS allows any origin).
//
// The page keeps window.__janus = { state, error, pc, framesPresented,
// frameTimes (wall ms of each presented frame), events (what Janus said),
// counter, counters, barcodeMisses (the test pattern's barcode,
// web/barcode.js) }.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { waitUntil } from '../../net/netns.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '../../../web');

// A static file server for one folder, on 127.0.0.1 (port 0: the kernel's
// pick, printed as "listening PORT").
const SERVER = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path');
const dir = process.argv[1];
const types = { '.html': 'text/html', '.js': 'text/javascript' };
const server = http.createServer((req, res) => {
  const name = new URL(req.url, 'http://x').pathname.replace(/^\\/+$/, '/index.html');
  const file = path.join(dir, path.basename(name));
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(data);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>janus viewer</title></head>
<body style="margin:0;background:#000">
<video id="video" autoplay playsinline muted></video>
<script type="module">
import { readVideoBarcode } from './barcode.js';

const params = new URLSearchParams(location.search);
const base = params.get('janus');
const id = Number(params.get('id'));
const pin = params.get('pin');
const video = document.getElementById('video');
const J = window.__janus = {
  state: 'new', error: null, pc: null, session: null, handle: null,
  framesPresented: 0, frameTimes: [], events: [], status: null,
  counter: null, counters: [], barcodeMisses: 0,
  // capture (the barcode's wall-clock stamp) -> the frame's last packet
  // received, ms, as web/player.js measures it for a direct viewer.
  receiveMs: [],
};
let tx = 0;
const note = (what) => { J.events.push(what); if (J.events.length > 200) J.events.shift(); };
const fail = (why) => { J.error = String(why); J.state = 'error'; note('error: ' + why); };

// A POST to Janus; a request that fails before any answer (fetch's
// TypeError, e.g. chromium's ERR_NETWORK_CHANGED soon after it starts in
// a fresh namespace) is tried twice more.
async function post(url, body) {
  const text = JSON.stringify({ transaction: 'p' + (++tx), ...body });
  for (let attempt = 1; ; attempt++) {
    try {
      // text/plain (fetch's default for a string): no CORS preflight.
      const r = await fetch(url, { method: 'POST', body: text });
      return await r.json();
    } catch (e) {
      if (!(e instanceof TypeError) || attempt >= 3) throw e;
      note('post ' + (body.janus || '') + ' failed (' + e.message + '), again');
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

let offerWaiter = null;
function onEvent(ev) {
  if (ev.janus === 'keepalive') return;
  const data = ev.plugindata?.data;
  note(ev.janus + (data ? ' ' + JSON.stringify(data) : '') + (ev.jsep ? ' jsep ' + ev.jsep.type : '')
    + (ev.type ? ' ' + ev.type : '') + (ev.receiving !== undefined ? ' receiving=' + ev.receiving : '')
    + (ev.reason ? ' ' + ev.reason : ''));
  if (data?.error) fail(data.error_code + ' ' + data.error);
  if (data?.result?.status) J.status = data.result.status;
  if (ev.jsep?.type === 'offer' && offerWaiter) { offerWaiter(ev.jsep); offerWaiter = null; }
  if (ev.janus === 'hangup') J.state = 'hangup';
}

// The long poll: Janus's events, and the session's keepalive (every GET
// counts as one).  Goes on until the page closes or the session is gone.
async function longPoll() {
  let failures = 0;
  while (J.session && !J.closed) {
    try {
      const r = await fetch(base + '/' + J.session + '?maxev=5&rid=' + Date.now());
      const evs = await r.json();
      failures = 0;
      for (const ev of Array.isArray(evs) ? evs : [evs]) {
        if (ev.janus === 'error') { note('poll error ' + JSON.stringify(ev.error)); if (ev.error?.code === 458) { J.session = null; J.state = 'gone'; } }
        else onEvent(ev);
      }
    } catch (e) {
      note('poll failed: ' + e.message);
      if (++failures > 3) { J.state = J.state === 'error' ? J.state : 'gone'; J.session = null; break; }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function onFrame(now, meta) {
  J.framesPresented++;
  J.frameTimes.push(performance.timeOrigin + now);
  if (J.frameTimes.length > 20000) J.frameTimes.splice(0, 10000);
  if (J.state === 'connected' || J.state === 'started') J.state = 'playing';
  const receivedWallMs = meta.receiveTime ? performance.timeOrigin + meta.receiveTime : null;
  readVideoBarcode(video).then((code) => {
    if (!code) { J.barcodeMisses++; return; }
    if (code.counter === J.counter) return;
    J.counter = code.counter;
    J.counters.push(code.counter);
    if (J.counters.length > 20000) J.counters.splice(0, 10000);
    if (receivedWallMs !== null) J.receiveMs.push(receivedWallMs - code.wallUs / 1000);
    if (J.receiveMs.length > 20000) J.receiveMs.splice(0, 10000);
  });
  video.requestVideoFrameCallback(onFrame);
}


async function main() {
  const created = await post(base, { janus: 'create' });
  if (created.janus !== 'success') throw new Error('create: ' + JSON.stringify(created));
  J.session = created.data.id;
  const attached = await post(base + '/' + J.session, { janus: 'attach', plugin: 'janus.plugin.streaming' });
  if (attached.janus !== 'success') throw new Error('attach: ' + JSON.stringify(attached));
  J.handle = attached.data.id;
  const hurl = base + '/' + J.session + '/' + J.handle;
  J.state = 'attached';
  const offered = new Promise((resolve) => { offerWaiter = resolve; });
  longPoll();
  const watch = await post(hurl, { janus: 'message', body: { request: 'watch', id, ...(pin ? { pin } : {}) } });
  if (watch.janus !== 'ack' && watch.janus !== 'success') throw new Error('watch: ' + JSON.stringify(watch));
  J.state = 'watching';
  const offer = await Promise.race([offered,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no offer from Janus')), 15000))]);
  const pc = J.pc = new RTCPeerConnection({ iceServers: [] });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
    video.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    note('pc ' + pc.connectionState);
    if (pc.connectionState === 'connected' && J.state !== 'playing') J.state = 'connected';
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') J.state = pc.connectionState;
  };
  const candidates = [];
  let trickling = false;
  pc.onicecandidate = (e) => {
    const c = e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex }
      : { completed: true };
    if (!trickling) { candidates.push(c); return; }
    post(hurl, { janus: 'trickle', candidate: c }).catch(() => {});
  };
  await pc.setRemoteDescription(offer);
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  const started = await post(hurl, { janus: 'message', body: { request: 'start' }, jsep: { type: answer.type, sdp: pc.localDescription.sdp } });
  if (started.janus !== 'ack' && started.janus !== 'success') throw new Error('start: ' + JSON.stringify(started));
  if (J.state !== 'connected' && J.state !== 'playing') J.state = 'started';
  trickling = true;
  for (const c of candidates) await post(hurl, { janus: 'trickle', candidate: c });
  video.requestVideoFrameCallback(onFrame);
}

window.__janusClose = async () => {
  J.closed = true;
  if (J.pc) J.pc.close();
  if (J.session) await post(base + '/' + J.session, { janus: 'destroy' }).catch(() => {});
};

main().catch((e) => fail(e.message || e));
</script>
</body></html>
`;

let pages = 0;

// Opens, in a chromium inside namespace ns, a page that watches mountpoint
// mountpointId of the Janus at janusUrl (http://ADDR:PORT/janus).
// Resolves with { browser, page, server } once the page has loaded (not
// yet playing: see waitJanusFrames).
export async function openJanusPlayer(topo, ns, janusUrl, mountpointId, { pin } = {}) {
  const dir = path.join(topo.tmp, `janus-page-${pages++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), PAGE);
  copyFileSync(path.join(webDir, 'barcode.js'), path.join(dir, 'barcode.js'));
  const server = topo.spawnIn(ns, process.execPath, ['-e', SERVER, dir], { label: 'janus-page' });
  await waitUntil(() => /^listening \d+$/m.test(server.log) || server.child.exitCode !== null, 10000,
    `page server did not start:\n${server.log}`);
  if (server.child.exitCode !== null) throw new Error(`page server exited:\n${server.log}`);
  const port = Number(server.log.match(/^listening (\d+)$/m)[1]);

  const { hostname } = new URL(janusUrl);
  const bare = hostname.replace(/^\[|\]$/g, '');
  let browser;
  try {
    browser = await launchChromium([
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE ${hostname}, EXCLUDE ${bare}`],
    { executablePath: topo.chromiumWrapper(ns) });
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`janus page error (${ns}):`, e.message));
    // Why requests failed (net::ERR_...), for the failure reports.
    page.janusFailures = [];
    page.on('requestfailed', (r) => page.janusFailures.push(
      `${new Date().toISOString().slice(11, 23)} ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    const q = new URLSearchParams({ janus: janusUrl, id: String(mountpointId), ...(pin ? { pin } : {}) });
    for (let i = 0; ; i++) {
      try {
        await page.goto(`http://127.0.0.1:${port}/?${q}`);
        break;
      } catch (e) {
        // chromium notices the namespace's fresh links once.
        if (i > 2 || !/ERR_NETWORK_CHANGED/.test(e.message)) throw e;
      }
    }
    return { browser, page, server };
  } catch (e) {
    if (browser) await browser.close().catch(() => {});
    server.child.kill('SIGTERM');
    throw e;
  }
}

// What the page knows, for failure reports.
export function janusPageState(page) {
  return page.evaluate(async () => {
    const J = window.__janus;
    const stats = [];
    if (J.pc) {
      (await J.pc.getStats()).forEach((r) => {
        if (r.type === 'candidate-pair' || r.type.includes('candidate') || r.type === 'inbound-rtp') stats.push(r);
      });
    }
    return {
      state: J.state, error: J.error, status: J.status, framesPresented: J.framesPresented,
      events: J.events, connection: J.pc?.connectionState, ice: J.pc?.iceConnectionState,
      offer: J.pc?.remoteDescription?.sdp, answer: J.pc?.localDescription?.sdp, stats,
    };
  });
}

// Waits for more than n presented frames; on timeout prints the page's
// story and throws.
export async function waitJanusFrames(page, n = 60, timeout = 30000) {
  try {
    await page.waitForFunction((k) => window.__janus && window.__janus.framesPresented > k, n, { timeout, polling: 100 });
  } catch (e) {
    const why = await janusPageState(page).then((s) => JSON.stringify({ ...s, failedRequests: page.janusFailures }, null, 1))
      .catch((err) => String(err));
    console.log(`# janus viewer not playing:\n${why}`);
    throw e;
  }
}

// The inbound RTP stats: video { framesDecoded, packetsReceived,
// bytesReceived, freezeCount, packetsLost, keyFramesDecoded } and audio
// { packetsReceived, bytesReceived } (null when that kind is absent).
export function janusInbound(page) {
  return page.evaluate(async () => {
    const out = { video: null, audio: null };
    const pc = window.__janus.pc;
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') {
        out.video = { framesDecoded: r.framesDecoded, packetsReceived: r.packetsReceived, bytesReceived: r.bytesReceived,
          freezeCount: r.freezeCount, packetsLost: r.packetsLost, keyFramesDecoded: r.keyFramesDecoded,
          pliCount: r.pliCount, nackCount: r.nackCount };
      } else if (r.kind === 'audio') {
        out.audio = { packetsReceived: r.packetsReceived, bytesReceived: r.bytesReceived, packetsLost: r.packetsLost };
      }
    });
    return out;
  });
}

// The test pattern's barcode as last read: { counter (null when none read
// yet), reads (distinct counters read), misses (frames without one) }.
export function janusBarcode(page) {
  return page.evaluate(() => ({
    counter: window.__janus.counter, reads: window.__janus.counters.length, misses: window.__janus.barcodeMisses,
  }));
}

// Resolves once the barcode counter has advanced by more than `by` from
// what it is now, with { from, to }; throws after timeout.
export async function waitBarcodeAdvance(page, by = 30, timeout = 10000) {
  const start = await janusBarcode(page);
  if (start.counter === null) {
    await page.waitForFunction(() => window.__janus.counter !== null, null, { timeout, polling: 100 });
  }
  const from = (await janusBarcode(page)).counter;
  await page.waitForFunction(([f, b]) => window.__janus.counter - f > b, [from, by], { timeout, polling: 100 });
  return { from, to: (await janusBarcode(page)).counter };
}

// The wall-clock times (ms) of every presented frame (see longestGap in
// ./netns-player.mjs).
export function janusFrameTimes(page) {
  return page.evaluate(() => window.__janus.frameTimes.slice());
}

// Hangs up (destroys the Janus session), closes chromium, stops the page
// server.  Never throws.
export async function closeJanusPlayer(player) {
  if (!player) return;
  await player.page?.evaluate(() => window.__janusClose?.()).catch(() => {});
  await player.browser?.close().catch(() => {});
  const child = player.server?.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  }
}
