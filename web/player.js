// hdmirtc player: WebRTC (WHEP) by default, MJPEG where WebRTC is missing
// or cannot connect; a WebRTC/MJPEG switch shown only when both work; a
// live overlay of figures; double-click (or tap) for fullscreen.
// Everything the browser tests read is in window.hdmirtc.
// URL: ?mode=mjpeg starts with MJPEG, ?overlay=0 hides the figures,
// ?measure=0 stops reading the frame barcode, #token=... for a service
// that wants a bearer token.
import { timeClicks, wrappedDiffMs } from './audio-clicks.js';
import { readVideoBarcode } from './barcode.js';
import { NO_H264, WhepSession, fetchIceServers, webrtcMissing } from './whep.js';

const params = new URLSearchParams(location.search);
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const authHeaders = token ? { Authorization: `Bearer ${token}` } : {};
const video = document.getElementById('video');
const mjpeg = document.getElementById('mjpeg');
const stateEl = document.getElementById('state');
const figuresEl = document.getElementById('figures');
const switchEl = document.getElementById('mode-switch');
const unmuteEl = document.getElementById('unmute');
if (params.get('overlay') === '0') document.getElementById('overlay').classList.add('hidden');

// No frame this long after the answer means WebRTC cannot get through.
const CONNECT_TIMEOUT_MS = 10000;
// The service sends 30 frames and an RTCP report every second: this long
// with no byte means the path broke (the KVM's address changed, a NAT
// forgot the mapping): restart ICE.  If that has not brought media back
// after RESTART_GIVE_UP_MS, start a new session.
const STALL_MS = 700;
const RESTART_GIVE_UP_MS = 5000;
const MAX_SAMPLES = 20000;
// Why this browser cannot watch over WebRTC (none, or no H.264), or null.
const missing = webrtcMissing();

const player = window.hdmirtc = {
  mode: null,               // 'webrtc' | 'mjpeg'
  webrtcSupported: !missing,
  serviceWebrtc: false,     // the service answers WHEP (from /api/status)
  switchVisible: false,
  fallbackReason: null,     // why the page fell back to MJPEG
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
  staleReads: 0,
  stats: {},
  pc: null,
  resource: null,
  serviceAudio: false,      // the service sends sound (from /api/status)
  sound: false,             // sound asked for (the button); off at first: autoplay rules
  audio: false,             // the session has a sound track
  clicks: 0,                // the tone's clicks heard
  audioPeak: null,          // the loudest sample of the last second of sound (0..1)
  audioLatencyMs: [],       // click at its second (wall clock) -> heard (see audio-clicks.js)
  avOffsetMs: null,         // audio after video (ms): median click latency - median frame latency
  iceRestarts: 0,           // ICE restarts started
  lastRecoveryMs: null,     // stall seen -> bytes flowing again
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

// ---- Barcode and latency (WebRTC) ----------------------------------------

function onVideoFrame(now, meta) {
  player.framesPresented++;
  if (player.firstFrameMs === null && player.session) {
    player.firstFrameMs = performance.now() - player.session.postSentAt;
  }
  if (params.get('measure') !== '0') {
    const presentedWallMs = performance.timeOrigin + meta.expectedDisplayTime;
    const receivedWallMs = meta.receiveTime ? performance.timeOrigin + meta.receiveTime : null;
    if (meta.captureTime) pushSample(player.absCaptureMs, meta.expectedDisplayTime - meta.captureTime);
    readVideoBarcode(video).then((code) => {
      if (!code) { player.barcodeMisses++; return; }
      // The element can still show the previous frame when the callback's
      // read runs; that sample would pair this frame's times with the last
      // frame's stamp, so it is counted, not recorded.
      const last = player.counters[player.counters.length - 1];
      if (code.counter === last) { player.staleReads++; return; }
      pushSample(player.counters, code.counter);
      pushSample(player.latencyMs, presentedWallMs - code.wallUs / 1000);
      if (receivedWallMs !== null) pushSample(player.receiveMs, receivedWallMs - code.wallUs / 1000);
    });
  }
  video.requestVideoFrameCallback(onVideoFrame);
}

// ---- Figures --------------------------------------------------------------

function median(list) {
  if (!list.length) return null;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let lastBytes = 0, lastFrames = 0, lastAt = 0;
async function collectWebrtcStats(pc) {
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
    // The sound device's delay on the track's own playout path.
    if (r.type === 'media-playout' && r.totalSamplesCount) {
      s.audioPlayoutMs = (r.totalPlayoutDelay / r.totalSamplesCount) * 1000;
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
  return s;
}

async function updateFigures() {
  let parts = [];
  if (player.mode === 'webrtc' && player.pc) {
    const s = player.stats = await collectWebrtcStats(player.pc);
    const lat = median(player.latencyMs.slice(-60));
    parts = [
      s.width ? `${s.width}x${s.height}` : '',
      s.fps !== undefined ? `${s.fps.toFixed(0)} fps` : '',
      s.kbps !== undefined ? `${s.kbps.toFixed(0)} kbit/s` : '',
      s.rttMs != null ? `RTT ${s.rttMs.toFixed(1)} ms` : '',
      lat !== null ? `latency ${lat.toFixed(0)} ms` : '',
      player.avOffsetMs !== null ? `A/V ${player.avOffsetMs >= 0 ? '+' : ''}${player.avOffsetMs.toFixed(0)} ms` : '',
    ];
  } else if (player.mode === 'mjpeg' && mjpeg.naturalWidth) {
    parts = [`${mjpeg.naturalWidth}x${mjpeg.naturalHeight}`, 'MJPEG (no sound: WebRTC has it)'];
  }
  figuresEl.textContent = parts.filter(Boolean).join(' · ');
}

// ---- Stall watch and ICE restart -------------------------------------------

const watch = { bytes: 0, movedAt: 0, stalledAt: null, restarting: false };

async function inboundBytes(pc) {
  let bytes = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') bytes = r.bytesReceived;
  });
  return bytes;
}

async function restartIce(session) {
  watch.restarting = true;
  player.iceRestarts++;
  setState('reconnecting', 'the network path to the KVM broke; restarting ICE');
  try {
    await session.restartIce();
  } catch (e) {
    if (session === player.session) retryWebrtc(`ICE restart failed: ${e.message}`);
  } finally {
    watch.restarting = false;
  }
}

async function watchStall() {
  const session = player.session;
  if (player.mode !== 'webrtc' || !session || !session.resource || player.framesPresented === 0) return;
  const now = performance.now();
  const bytes = await inboundBytes(session.pc);
  if (session !== player.session) return;
  if (bytes === 0) {                    // not started yet: the connect timeout watches that
    watch.movedAt = now;
    return;
  }
  if (bytes !== watch.bytes) {
    if (watch.stalledAt !== null) {
      player.lastRecoveryMs = now - watch.stalledAt;
      watch.stalledAt = null;
      setState('playing');
    }
    watch.bytes = bytes;
    watch.movedAt = now;
    return;
  }
  if (now - watch.movedAt < STALL_MS || watch.restarting) return;
  if (watch.stalledAt === null) {
    watch.stalledAt = watch.movedAt;
    restartIce(session);
  } else if (now - watch.stalledAt > RESTART_GIVE_UP_MS) {
    watch.stalledAt = null;
    retryWebrtc('no video after an ICE restart');
  }
}

// ---- WebRTC -----------------------------------------------------------------

let retryDelay = 1000;
let retryTimer = null;
let connectTimer = null;

function stopWebrtc() {
  clearTimeout(retryTimer);
  clearTimeout(connectTimer);
  if (player.session) {
    player.session.close();
    if (player.session.clickTimer) player.session.clickTimer.close();
  }
  player.audio = false;
  showUnmute();
  Object.assign(watch, { bytes: 0, movedAt: performance.now(), stalledAt: null, restarting: false });
  player.session = null;
  player.pc = null;
  player.resource = null;
}

// ICE that never connects is almost always UDP blocked on the way.
function explainFailure(what) {
  return `${what}: UDP to the KVM seems blocked (a firewall?). ` +
    'Showing MJPEG instead; configure a TURN server in hdmirtc to get WebRTC through.';
}

function fallBack(reason) {
  player.fallbackReason = reason;
  startMjpeg(reason);
}

async function startWebrtc() {
  stopWebrtc();
  player.mode = 'webrtc';
  mjpeg.hidden = true;
  mjpeg.removeAttribute('src');
  video.hidden = false;
  setState('connecting');
  player.connects++;
  if (!player.iceServers) player.iceServers = await fetchIceServers('whep', authHeaders);
  const session = player.session = new WhepSession({
    url: 'whep',
    headers: authHeaders,
    iceServers: player.iceServers || [],
    sound: player.sound,
    onTrack: (track) => addTrack(session, track),
    onState: (state) => {
      if (session !== player.session) return;
      if (state === 'connected') {
        clearTimeout(connectTimer);
        retryDelay = 1000;
        setState('playing');
      } else if (state === 'failed') {
        if (player.framesPresented === 0) fallBack(explainFailure('WebRTC could not connect'));
        else retryWebrtc('the connection was lost');
      }
    },
  });
  player.pc = session.pc;
  try {
    player.iceServers = await session.connect();
    player.resource = session.resource;
    connectTimer = setTimeout(() => {
      if (session === player.session && session.pc.connectionState !== 'connected') {
        fallBack(explainFailure(`WebRTC did not connect within ${CONNECT_TIMEOUT_MS / 1000} s`));
      }
    }, CONNECT_TIMEOUT_MS);
  } catch (e) {
    if (session !== player.session) return;
    // 422: nothing in this browser's offer that the service can send
    // (no H.264): trying again cannot help.
    if (e.status !== 422) return retryWebrtc(e.message);
    player.webrtcSupported = false;
    fallBack(`${NO_H264}; the service said: ${e.message}`);
    showSwitch();
  }
}

function retryWebrtc(reason) {
  setState('reconnecting', reason);
  stopWebrtc();
  retryTimer = setTimeout(startWebrtc, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30000);
}

// ---- Sound ------------------------------------------------------------------

// Both tracks in one stream, one element: the browser keeps them in sync.
function addTrack(session, track) {
  if (session !== player.session) return;
  if (!session.stream) session.stream = new MediaStream();
  session.stream.addTrack(track);
  // A new session's stream replaces the last one's (whose last picture
  // stayed up while reconnecting).
  if (video.srcObject !== session.stream) video.srcObject = session.stream;
  if (track.kind !== 'audio') return;
  player.audio = true;
  showUnmute();
  timeClicks(track, onClick, (peak) => { player.audioPeak = peak; }).then((timer) => {
    if (session !== player.session) timer.close();
    else session.clickTimer = timer;
  }, () => { /* neither a track processor nor an AudioWorklet: no A/V figure */ });
}

function onClick(trackWallMs) {
  // Until the first stats there is no device delay to add.
  if (player.stats.audioPlayoutMs === undefined) return;
  const wallMs = trackWallMs + player.stats.audioPlayoutMs;
  player.clicks++;
  // Latencies below a second: the click belongs to the second just begun.
  pushSample(player.audioLatencyMs, wallMs - Math.floor(wallMs / 1000) * 1000);
  const audio = median(player.audioLatencyMs.slice(-10));
  const videoMs = median(player.latencyMs.slice(-60));
  player.avOffsetMs = videoMs === null ? null : wrappedDiffMs(audio, videoMs);
}

function showUnmute() {
  unmuteEl.hidden = !(player.mode === 'webrtc' && player.serviceAudio);
  unmuteEl.textContent = player.sound ? 'Mute' : 'Unmute';
  unmuteEl.setAttribute('aria-pressed', String(player.sound));
}

// Sound on or off is a new session (whep.js: the sound track, and the
// lip sync that costs the video some delay, only while it is wanted); the
// click is the gesture that lets the browser play sound.
unmuteEl.addEventListener('click', () => {
  player.sound = !player.sound;
  video.muted = !player.sound;
  player.audioLatencyMs = [];
  player.avOffsetMs = null;
  startWebrtc();
  showUnmute();
});

// ---- MJPEG ------------------------------------------------------------------

// An <img> cannot send the token in a header: it gets a ticket in its URL,
// good for starting this one stream within a minute, so the token itself
// never appears in a URL.
async function mjpegUrl() {
  const url = new URL('stream.mjpeg', location.href);
  if (!token) return url.href;
  const res = await fetch(new URL('api/mjpeg-ticket', location.href), { method: 'POST', headers: authHeaders });
  if (!res.ok) throw new Error(`no MJPEG ticket: ${(await res.text()).trim() || res.status}`);
  url.searchParams.set('access_token', (await res.json()).ticket);
  return url.href;
}

async function startMjpeg(reason) {
  stopWebrtc();
  player.mode = 'mjpeg';
  video.hidden = true;
  video.srcObject = null;
  mjpeg.hidden = false;
  setState('MJPEG', reason);
  showSwitch();
  try {
    const src = await mjpegUrl();
    if (player.mode === 'mjpeg') mjpeg.src = src;
  } catch (e) {
    if (player.mode === 'mjpeg') setState('MJPEG', e.message);
  }
}

mjpeg.addEventListener('error', () => {
  if (player.mode === 'mjpeg') setState('MJPEG', 'the stream stopped; reload the page to retry');
});

// ---- Mode switch, fullscreen ---------------------------------------------

function showSwitch() {
  player.switchVisible = player.webrtcSupported && player.serviceWebrtc;
  switchEl.hidden = !player.switchVisible;
  showUnmute();
  for (const button of switchEl.querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.mode === player.mode));
  }
}

switchEl.addEventListener('click', (ev) => {
  const mode = ev.target.dataset && ev.target.dataset.mode;
  if (!mode || mode === player.mode) return;
  player.fallbackReason = null;
  localStorage.setItem('hdmirtc-mode', mode);
  if (mode === 'webrtc') startWebrtc(); else startMjpeg();
  showSwitch();
});

// Keyboard-free fullscreen: the keyboard belongs to the remote machine.
for (const el of [video, mjpeg]) {
  el.addEventListener('dblclick', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
}

// 'webrtc', 'none', or 'token' when the service wants a token the URL
// did not bring.
async function serviceStatus() {
  try {
    const res = await fetch('api/status', { headers: authHeaders });
    if (res.status === 401) return 'token';
    const status = res.ok ? await res.json() : {};
    player.serviceAudio = !!status.audio;
    // The service feeds a Janus that viewers may watch instead.
    const janusLink = document.getElementById('janus-link');
    janusLink.hidden = !(status.janus_viewer && player.webrtcSupported);
    janusLink.href = `janus.html${location.hash}`;
    return Array.isArray(status.viewers) ? 'webrtc' : 'none';
  } catch (e) {
    return 'none';
  }
}

async function main() {
  const status = await serviceStatus();
  if (status === 'token') {
    setState('locked', token ? 'the token in this URL is wrong: open the URL the service printed'
      : 'this service needs its token: open the URL it printed (it ends in #token=...)');
    return;
  }
  player.serviceWebrtc = status === 'webrtc';
  const wanted = params.get('mode') || localStorage.getItem('hdmirtc-mode') || 'webrtc';
  if (missing) startMjpeg(missing);
  else if (!player.serviceWebrtc) startMjpeg('the service offers no WebRTC');
  else if (wanted === 'mjpeg') startMjpeg();
  else startWebrtc();
  showSwitch();
}

window.addEventListener('pagehide', stopWebrtc);
video.requestVideoFrameCallback(onVideoFrame);
setInterval(updateFigures, 1000);
setInterval(watchStall, 200);
main();
