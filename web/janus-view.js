// The stream through Janus: the Streaming plugin's mountpoint that the
// service feeds (its janus-viewer-url and janus-mountpoint, from
// /api/status), watched with Janus's own client, janus.js (Debian's
// libjs-janus-gateway), for when many viewers share one Janus instead of
// each taking a session of the service.  Janus offers, the page answers.
// Everything the tests read is in window.hdmirtcJanus.
import { readVideoBarcode } from './barcode.js';
import { webrtcMissing } from './whep.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const authHeaders = token ? { Authorization: `Bearer ${token}` } : {};
const video = document.getElementById('video');
const stateEl = document.getElementById('state');
const figuresEl = document.getElementById('figures');
const unmuteEl = document.getElementById('unmute');
const MAX_SAMPLES = 20000;
const view = window.hdmirtcJanus = {
  state: 'connecting', error: null, url: null, mountpoint: null,
  framesPresented: 0, counters: [], receiveMs: [], barcodeMisses: 0, audio: false,
};
// The direct page, with the token.
document.getElementById('direct-link').href = `./${location.hash}`;

function setState(state, error) {
  view.state = state;
  view.error = error || null;
  stateEl.textContent = error ? `${state}: ${error}` : state;
  stateEl.classList.toggle('error', !!error);
}

function push(list, v) {
  if (list.length >= MAX_SAMPLES) list.shift();
  list.push(v);
}

function onFrame(now, meta) {
  view.framesPresented++;
  const receivedWallMs = meta.receiveTime ? performance.timeOrigin + meta.receiveTime : null;
  readVideoBarcode(video).then((code) => {
    if (!code) { view.barcodeMisses++; return; }
    if (code.counter === view.counters[view.counters.length - 1]) return;
    push(view.counters, code.counter);
    if (receivedWallMs !== null) push(view.receiveMs, receivedWallMs - code.wallUs / 1000);
  });
  video.requestVideoFrameCallback(onFrame);
}

function median(list) {
  if (!list.length) return null;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function updateFigures() {
  const lat = median(view.receiveMs.slice(-60));
  figuresEl.textContent = [`through Janus ${view.url ?? ''}`,
    lat !== null ? `capture → received ${lat.toFixed(0)} ms` : ''].filter(Boolean).join(' · ');
}

async function janusConfig() {
  const res = await fetch('api/status', { headers: authHeaders });
  if (res.status === 401) throw new Error('this service needs its token: open the URL it printed (#token=...)');
  const status = res.ok ? await res.json() : {};
  if (!status.janus_viewer) throw new Error('the service names no Janus for viewers (janus-viewer-url)');
  return status.janus_viewer;
}

function watch({ url, mountpoint }) {
  const stream = new MediaStream();
  let handle = null;
  const janus = new Janus({
    server: url,
    // No STUN: Janus's candidates come in its offer, and the viewer's
    // host and peer-reflexive ones are enough on the paths a KVM is reached by.
    iceServers: [],
    success() {
      janus.attach({
        plugin: 'janus.plugin.streaming',
        success(h) {
          handle = h;
          setState('waiting for Janus');
          handle.send({ message: { request: 'watch', id: mountpoint } });
        },
        error(e) { setState('failed', `attach: ${e}`); },
        onmessage(msg, jsep) {
          if (msg.error) setState('failed', msg.error);
          else if (msg.result?.status) setState(msg.result.status);
          if (!jsep) return;
          handle.createAnswer({
            jsep,
            // Receive only: a data-less answer to Janus's tracks.
            tracks: [{ type: 'data' }],
            success(answer) { handle.send({ message: { request: 'start' }, jsep: answer }); },
            error(e) { setState('failed', `answer: ${e?.message ?? e}`); },
          });
        },
        onremotetrack(track, mid, on) {
          if (!on) {
            stream.removeTrack(track);
            return;
          }
          stream.addTrack(track);
          if (track.kind === 'audio') {
            view.audio = true;
            unmuteEl.hidden = false;
          }
          if (video.srcObject !== stream) video.srcObject = stream;
        },
        webrtcState(up) { setState(up ? 'playing' : 'disconnected'); },
        oncleanup() { setState('stopped'); },
      });
    },
    error(e) { setState('failed', `Janus at ${url}: ${e}`); },
    destroyed() { setState('stopped'); },
  });
  window.addEventListener('pagehide', () => janus.destroy({ unload: true }));
}

unmuteEl.addEventListener('click', () => {
  video.muted = !video.muted;
  unmuteEl.textContent = video.muted ? 'Unmute' : 'Mute';
  unmuteEl.setAttribute('aria-pressed', String(!video.muted));
});

video.addEventListener('dblclick', () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch(() => {});
});

async function main() {
  const missing = webrtcMissing();
  if (missing) {
    setState('failed', `${missing}; the direct page shows MJPEG`);
    return;
  }
  if (typeof Janus !== 'function') {
    setState('failed', 'janus.js is missing on the service (Debian package libjs-janus-gateway)');
    return;
  }
  try {
    const config = await janusConfig();
    view.url = config.url;
    view.mountpoint = config.mountpoint;
    Janus.init({
      debug: false,
      dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
      callback: () => watch(config),
    });
  } catch (e) {
    setState('failed', e.message);
  }
}

video.requestVideoFrameCallback(onFrame);
setInterval(updateFigures, 1000);
main();
