// Audio worklet: finds the onsets of the tone's clicks (-6 dBFS over a
// -30 dBFS tone) in the received audio and posts each one's context time.
const THRESHOLD = 0.2;
const HOLD_S = 0.5; // one click per second: ignore the rest of this one

class ClickDetector extends AudioWorkletProcessor {
  constructor() {
    super();
    this.quietUntil = 0;
  }

  process(inputs) {
    const samples = inputs[0] && inputs[0][0];
    if (!samples) return true;
    for (let i = 0; i < samples.length; i++) {
      const t = currentTime + i / sampleRate;
      if (t >= this.quietUntil && Math.abs(samples[i]) > THRESHOLD) {
        this.port.postMessage(t);
        this.quietUntil = t + HOLD_S;
        break;
      }
    }
    return true;
  }
}

registerProcessor('click-detector', ClickDetector);
