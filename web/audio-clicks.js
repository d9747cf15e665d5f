// The audio side of the A/V offset: the synthetic source clicks at each
// second of the sender's wall clock, the barcode stamps each frame with
// the same clock.  A click's wall time as it comes out of the received
// track, less its second, is the audio's capture -> track time; the
// listener hears it one sound-device delay later (the player adds the
// one the browser reports for the track's own playout), to set beside
// the video's capture -> presented time.

// a - b on a circle of one second, in [-500, 500): a click's latency is
// known only modulo a second, and when the sender's clock is off the
// viewer's, both latencies carry the same error, which cancels here.
export function wrappedDiffMs(a, b) {
  return ((((a - b) % 1000) + 1500) % 1000) - 500;
}

const THRESHOLD = 0.2;   // -6 dBFS clicks over a -30 dBFS tone (also click-worklet.js's)
const HOLD_MS = 500;     // one click per second: the rest of this one is ignored

// Calls onClick(wallMs) with the time each click of track was handed over
// for playout, and onPeak(peak) each second of sound with its loudest
// sample (0..1; a click is 0.5), where the browser lets the samples be
// read.  Returns an object whose close() stops it.
export async function timeClicks(track, onClick, onPeak = () => {}) {
  return typeof MediaStreamTrackProcessor === 'function' ? timeFromSamples(track, onClick, onPeak)
    : timeThroughWebAudio(track, onClick);
}

// The track's samples as the browser hands them to its sinks: each
// AudioData is stamped (in the page's time) when the playout took it.
// Nothing of ours stands between (WebAudio's source node has a FIFO and a
// resampler primed with silence, whose delay no API tells: through it the
// clicks came 10-30 ms late).
function timeFromSamples(track, onClick, onPeak) {
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  let quietUntilMs = 0, samples = null, peak = 0, peakFromMs = null;
  (async () => {
    for (;;) {
      const { value: data, done } = await reader.read();
      if (done) return;
      const n = data.numberOfFrames;
      if (!samples || samples.length < n) samples = new Float32Array(n);
      data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
      const startMs = data.timestamp / 1000, rate = data.sampleRate;
      data.close();
      let found = false;
      for (let i = 0; i < n; i++) {
        const level = Math.abs(samples[i]);
        if (level > peak) peak = level;
        if (found || level <= THRESHOLD) continue;
        const ms = startMs + (i * 1000) / rate;
        if (ms >= quietUntilMs) {
          onClick(performance.timeOrigin + ms);
          quietUntilMs = ms + HOLD_MS;
          found = true;
        }
      }
      if (peakFromMs === null) peakFromMs = startMs;
      if (startMs - peakFromMs >= 1000) {
        onPeak(peak);
        peak = 0;
        peakFromMs = startMs;
      }
    }
  })().catch(() => { /* the track ended */ });
  return { close: () => reader.cancel().catch(() => {}) };
}

// Where there is no MediaStreamTrackProcessor: a WebAudio graph, its
// output time (getOutputTimestamp) less the graph's own buffering and
// device (baseLatency, outputLatency), which are this measuring graph's
// and not on the path the listener hears.  Late by the source node's FIFO.
async function timeThroughWebAudio(track, onClick) {
  const context = new AudioContext({ latencyHint: 'interactive' });
  await context.audioWorklet.addModule('click-worklet.js');
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const detector = new AudioWorkletNode(context, 'click-detector',
    { processorOptions: { threshold: THRESHOLD, holdMs: HOLD_MS } });
  // The graph only runs what reaches its destination; the sound itself is
  // the video element's to play.
  const silent = context.createGain();
  silent.gain.value = 0;
  source.connect(detector).connect(silent).connect(context.destination);
  detector.port.onmessage = (ev) => {
    const out = context.getOutputTimestamp();
    if (!out.performanceTime) return;
    const outputMs = out.performanceTime + (ev.data - out.contextTime) * 1000;
    const graphMs = (context.baseLatency + (context.outputLatency || 0)) * 1000;
    onClick(performance.timeOrigin + outputMs - graphMs);
  };
  return context;
}
