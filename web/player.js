// hdmirtc player: a WHEP client in plain JS with a live figures overlay.
// Figures (and the raw samples the browser tests read) are kept in
// window.hdmirtc.  Query parameters: overlay=0 hides the overlay,
// measure=0 stops reading the frame barcode.
import { readBarcode } from './barcode.js';

const params = new URLSearchParams(location.search);
const video = document.getElementById('video');
const stateEl = document.getElementById('state');
const figuresEl = document.getElementById('figures');
if (params.get('overlay') === '0') document.getElementById('overlay').classList.add('hidden');

const MAX_SAMPLES = 20000;
const player = window.hdmirtc = {
  state: 'connecting',
  error: null,
  connects: 0,
  framesPresented: 0,
  firstFrameMs: null,       // from POST sent to first frame presented
  counters: [],             // barcode frame counters, in presentation order
  latencyMs: [],            // capture (wall clock) -> frame presented
  receiveMs: [],            // capture -> last packet received
  absCaptureMs: [],         // presented - captureTime from abs-capture-time
  barcodeMisses: 0,
  stats: {},
  pc: null,
  resource: null,
};

function setState(state, error) {
  player.state = state;
  player.error = error || null;
  stateEl.textContent = error ? `${state}: ${error}` : state;
  stateEl.classList.toggle('error', !!error);
}

function pushSample(list, value) {
  if (list.length >= MAX_SAMPLES) list.shift();
  list.push(value);
}

// Reads the luma rows holding the barcode out of the decoded frame.
async function readFrameBarcode(now, meta) {
  let frame;
  try {
    frame = new VideoFrame(video, { timestamp: 0 });
    const width = frame.codedWidth & ~1;
    const rows = Math.min(frame.codedHeight, 128) & ~1;
    const rect = { x: 0, y: 0, width, height: rows };
    const buf = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(buf, { rect });
    let luma = buf.subarray(layout[0].offset);
    let stride = layout[0].stride;
    if (/^(RGB|BGR)/.test(frame.format)) {
      luma = rgbToLuma(buf, layout[0], width, rows, frame.format.startsWith('BGR'));
      stride = width;
    }
    return readBarcode(luma, stride, width, rows);
  } catch (e) {
    return null;
  } finally {
    if (frame) frame.close();
  }
}

function rgbToLuma(buf, plane, width, rows, bgr) {
  const out = new Uint8Array(width * rows);
  const [r, b] = bgr ? [2, 0] : [0, 2];
  for (let y = 0; y < rows; y++) {
    const row = plane.offset + y * plane.stride;
    for (let x = 0; x < width; x++) {
      const p = row + x * 4;
      out[y * width + x] = (16 + (66 * buf[p + r] + 129 * buf[p + 1] + 25 * buf[p + b]) / 256) | 0;
    }
  }
  return out;
}

function onVideoFrame(now, meta) {
  player.framesPresented++;
  if (player.firstFrameMs === null) player.firstFrameMs = performance.now() - player.postSentAt;
  if (params.get('measure') !== '0') {
    const presentedWallMs = performance.timeOrigin + meta.expectedDisplayTime;
    const receivedWallMs = meta.receiveTime ? performance.timeOrigin + meta.receiveTime : null;
    if (meta.captureTime) pushSample(player.absCaptureMs, meta.expectedDisplayTime - meta.captureTime);
    readFrameBarcode(now, meta).then((code) => {
      if (!code) { player.barcodeMisses++; return; }
      pushSample(player.counters, code.counter);
      pushSample(player.latencyMs, presentedWallMs - code.wallUs / 1000);
      if (receivedWallMs !== null) pushSample(player.receiveMs, receivedWallMs - code.wallUs / 1000);
    });
  }
  video.requestVideoFrameCallback(onVideoFrame);
}

function median(list) {
  if (!list.length) return null;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let lastBytes = 0, lastFrames = 0, lastAt = 0;
async function updateStats() {
  const pc = player.pc;
  if (!pc) return;
  const report = await pc.getStats();
  const s = {};
  report.forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      Object.assign(s, {
        width: r.frameWidth, height: r.frameHeight, framesDecoded: r.framesDecoded,
        framesDropped: r.framesDropped, freezeCount: r.freezeCount, pliCount: r.pliCount,
        nackCount: r.nackCount, firCount: r.firCount, packetsLost: r.packetsLost,
        bytesReceived: r.bytesReceived, keyFramesDecoded: r.keyFramesDecoded,
        jitterBufferDelay: r.jitterBufferDelay, jitterBufferEmittedCount: r.jitterBufferEmittedCount,
        totalDecodeTime: r.totalDecodeTime, codecId: r.codecId,
      });
    }
    if (r.type === 'remote-outbound-rtp' && r.kind === 'video') {
      s.senderReports = r.reportsSent;
      s.senderPackets = r.packetsSent;
    }
    if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') {
      s.rttMs = r.currentRoundTripTime !== undefined ? r.currentRoundTripTime * 1000 : null;
    }
  });
  const at = performance.now();
  if (lastAt && s.bytesReceived !== undefined) {
    const dt = (at - lastAt) / 1000;
    s.kbps = ((s.bytesReceived - lastBytes) * 8) / 1000 / dt;
    s.fps = (s.framesDecoded - lastFrames) / dt;
  }
  lastAt = at; lastBytes = s.bytesReceived || 0; lastFrames = s.framesDecoded || 0;
  player.stats = s;
  const lat = median(player.latencyMs.slice(-60));
  figuresEl.textContent = [
    s.width ? `${s.width}x${s.height}` : '',
    s.fps !== undefined ? `${s.fps.toFixed(0)} fps` : '',
    s.kbps !== undefined ? `${s.kbps.toFixed(0)} kbit/s` : '',
    s.rttMs != null ? `RTT ${s.rttMs.toFixed(1)} ms` : '',
    lat !== null ? `latency ${lat.toFixed(0)} ms` : '',
  ].filter(Boolean).join(' · ');
}

// Chromium negotiates abs-capture-time only when asked; with it the
// server's capture time reaches requestVideoFrameCallback (captureTime).
function offerAbsCaptureTime(transceiver) {
  if (!transceiver.getHeaderExtensionsToNegotiate) return;
  const exts = transceiver.getHeaderExtensionsToNegotiate().map((e) =>
    (e.uri.endsWith('/abs-capture-time') && e.direction === 'stopped' ? { ...e, direction: 'sendrecv' } : e));
  try { transceiver.setHeaderExtensionsToNegotiate(exts); } catch (e) { /* keep the defaults */ }
}

function waitForGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, timeoutMs);
  });
}

function parseIceServers(linkHeader) {
  if (!linkHeader) return [];
  return linkHeader.split(/,(?=\s*<)/).filter((l) => /rel="ice-server"/.test(l)).map((l) => {
    const url = l.match(/<([^>]+)>/)[1];
    const user = l.match(/username="([^"]*)"/);
    const cred = l.match(/credential="([^"]*)"/);
    return { urls: url, username: user ? user[1] : undefined, credential: cred ? cred[1] : undefined };
  });
}

async function connect() {
  setState('connecting');
  player.connects++;
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: player.iceServers || [] });
  player.pc = pc;
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  offerAbsCaptureTime(transceiver);
  // Ask for the smallest jitter buffer: an IP-KVM is interactive.
  if ('jitterBufferTarget' in transceiver.receiver) transceiver.receiver.jitterBufferTarget = 0;
  else transceiver.receiver.playoutDelayHint = 0;
  pc.ontrack = (ev) => { video.srcObject = new MediaStream([ev.track]); };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected') setState('playing');
    if (pc.connectionState === 'failed') retry('the connection failed (ICE or DTLS)');
  };
  await pc.setLocalDescription(await pc.createOffer());
  await waitForGathering(pc, 1000);
  player.postSentAt = performance.now();
  const res = await fetch('whep', {
    method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp,
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(body.trim() || `HTTP ${res.status}`);
  player.resource = new URL(res.headers.get('Location'), location.href).href;
  player.iceServers = parseIceServers(res.headers.get('Link'));
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
}

let retryDelay = 1000;
function retry(reason) {
  setState('reconnecting', reason);
  hangUp();
  setTimeout(() => start(), retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30000);
}

function hangUp() {
  if (player.resource) fetch(player.resource, { method: 'DELETE', keepalive: true }).catch(() => {});
  player.resource = null;
  if (player.pc) player.pc.close();
  player.pc = null;
}

async function start() {
  try {
    await connect();
    retryDelay = 1000;
  } catch (e) {
    retry(e.message);
  }
}

window.addEventListener('pagehide', hangUp);
video.requestVideoFrameCallback(onVideoFrame);
setInterval(updateStats, 1000);
start();
