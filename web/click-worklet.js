// Audio worklet: finds the onsets of the tone's clicks in the received
// audio and posts each one's context time.  Its threshold and hold come
// from audio-clicks.js (processorOptions), which detects them the same way
// where the samples can be read without WebAudio.
class ClickDetector extends AudioWorkletProcessor {
  constructor({ processorOptions }) {
    super();
    this.threshold = processorOptions.threshold;
    this.holdS = processorOptions.holdMs / 1000;
    this.quietUntil = 0;
  }

  process(inputs) {
    const samples = inputs[0] && inputs[0][0];
    if (!samples) return true;
    for (let i = 0; i < samples.length; i++) {
      const t = currentTime + i / sampleRate;
      if (t >= this.quietUntil && Math.abs(samples[i]) > this.threshold) {
        this.port.postMessage(t);
        this.quietUntil = t + this.holdS;
        break;
      }
    }
    return true;
  }
}

registerProcessor('click-detector', ClickDetector);
