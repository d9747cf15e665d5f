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

// Calls onClick(wallMs) with the time each click of track passed into the
// audio graph: its output time (getOutputTimestamp) less the graph's own
// buffering and device (baseLatency, outputLatency), which are this
// measuring graph's and not on the path the listener hears.  Returns the
// AudioContext.
export async function timeClicks(track, onClick) {
  const context = new AudioContext({ latencyHint: 'interactive' });
  await context.audioWorklet.addModule('click-worklet.js');
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const detector = new AudioWorkletNode(context, 'click-detector');
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
