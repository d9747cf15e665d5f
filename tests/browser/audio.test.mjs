// HDMI audio (issue 16) through the embedded defaults: the synthetic tone
// clicks at each second of the wall clock and the test pattern's barcode
// carries the same clock, so the page can set the click's capture ->
// output time beside the frame's capture -> presented time (the A/V
// offset).  Then the answers to real Chromium offers with and without
// sound, and a service without sound.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openPlaying } from './lib/chromium.mjs';
import { startService, getStatus } from './lib/service.mjs';
import { unmuteAndMeasure, describeAv } from './lib/av-offset.mjs';

const sanitized = !!process.env.HDMIRTC_TEST_SANITIZED;
const slow = sanitized ? 4 : 1;
// Issue 16's bound on |audio - video| at the viewer.
const MAX_AV_OFFSET_MS = 40;

// In a page of the service's origin: one peer connection whose offer is
// made by setup (a string of code run with pc in scope), posted to /whep.
// Returns the answer and, once media flowed for a while, what came in.
async function negotiate(page, setup) {
  return page.evaluate(async (setupCode) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    new Function('pc', setupCode)(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 2000);
    });
    const res = await fetch('/whep', { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp });
    const answer = await res.text();
    if (res.status !== 201) return { status: res.status, answer };
    const resource = new URL(res.headers.get('Location'), window.location.href);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const inbound = async () => {
      const got = {};
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp') got[r.kind] = { packets: r.packetsReceived, frames: r.framesDecoded,
          energy: r.totalAudioEnergy };
      });
      return got;
    };
    const deadline = performance.now() + 10000;
    let media = await inbound();
    while (performance.now() < deadline && !(media.video && media.video.frames > 30)) {
      await new Promise((r) => setTimeout(r, 200));
      media = await inbound();
    }
    await fetch(resource, { method: 'DELETE' });
    pc.close();
    return { status: res.status, answer, media, state: pc.connectionState };
  }, setup);
}

const sections = (sdp) => sdp.split(/\r\n(?=m=)/).slice(1);
const audioSection = (sdp) => sections(sdp).find((m) => m.startsWith('m=audio'));

describe('audio through the embedded defaults', () => {
  let service, browser, page;

  before(async () => {
    // The defaults: no --audio option, so the tone (no bridge here).
    service = await startService(['--width', '640', '--height', '360']);
    browser = await launchChromium();
    page = await openPlaying(browser, service.url, 20000 * slow);
  });

  after(async () => {
    if (browser) await browser.close();
    if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
  });

  test('sound is off at first: video only, at the lowest latency', async () => {
    const p = await page.evaluate(() => ({ audio: window.hdmirtc.audio, muted: document.getElementById('video').muted,
      button: document.getElementById('unmute').textContent, shown: !document.getElementById('unmute').hidden }));
    assert.deepEqual(p, { audio: false, muted: true, button: 'Unmute', shown: true });
    const status = await getStatus(service.url);
    assert.equal(status.audio.source, 'tone');
    assert.equal(status.viewers[0].audio.on, false);
    assert.match(status.viewers[0].audio.why_not, /no audio section/);
    // Nobody listens: nothing is encoded, though the level is measured.
    assert.equal(status.audio.listeners, 0);
    const packets0 = status.audio.packets;
    await new Promise((r) => setTimeout(r, 500));
    const later = (await getStatus(service.url)).audio;
    assert.equal(later.packets, packets0);
    assert.ok(later.level_dbfs > -10, JSON.stringify(later));
  });

  test('unmuted, the viewer hears the clicks within 40 ms of the frames they belong to', { timeout: 150000 * slow }, async () => {
    const m = await unmuteAndMeasure(page, { slow });
    assert.deepEqual(m.unmuted, { muted: false, button: 'Mute' });
    console.log(`# sound on: ${describeAv(m)}`);
    // The sound never holds the picture up: no freeze while both play.
    if (!sanitized) assert.equal(m.newFreezes, 0, 'the video froze while the sound played');
    assert.ok(m.moved <= 5, `the lip sync never settled: the video's delay moved ${m.moved} ms in the last window`);
    assert.match(m.figures, /A\/V [+-]\d+ ms/);
    if (!sanitized) assert.ok(Math.abs(m.offsetMs) <= MAX_AV_OFFSET_MS, `A/V offset ${m.offsetMs.toFixed(1)} ms`);

    const status = await getStatus(service.url);
    assert.equal(status.audio.rate, 48000);
    assert.equal(status.audio.listeners, 1);
    assert.ok(status.audio.level_dbfs > -10 && status.audio.level_dbfs < 0, JSON.stringify(status.audio));
    assert.equal(status.viewers.length, 1);
    const viewer = status.viewers[0].audio;
    assert.equal(viewer.on, true);
    // abs-capture-time on the sound too (the page asks for it).
    assert.ok(viewer.extensions.abs_capture_time > 0, JSON.stringify(viewer));
    assert.ok(viewer.packets_sent > 100, JSON.stringify(viewer));
    assert.equal(viewer.send_errors, 0);
    // The same figures in /metrics.
    const metrics = await (await fetch(new URL('metrics', service.url))).text();
    assert.match(metrics, /^hdmirtc_audio_packets \d+$/m);
    assert.match(metrics, /^hdmirtc_audio_level_dbfs -?\d/m);
    assert.match(metrics, /^hdmirtc_viewers_audio_packets_sent\{id="[^"]+"\} \d+$/m);
  });

  test('MJPEG mode has no sound and says so', async () => {
    const mjpeg = await browser.newPage();
    await mjpeg.goto(`${service.url}?mode=mjpeg`);
    await mjpeg.waitForFunction(() => /no sound/.test(document.getElementById('figures').textContent),
      null, { timeout: 10000 * slow });
    assert.equal(await mjpeg.evaluate(() => document.getElementById('unmute').hidden), true);
    await mjpeg.close();
  });
});

describe('answers to real Chromium offers', () => {
  let service, browser, page;

  before(async () => {
    service = await startService(['--width', '320', '--height', '240']);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(new URL('api/status', service.url).href);
  });

  after(async () => {
    if (browser) await browser.close();
    if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000));
  });

  test('video and audio recvonly: both accepted, audio arrives', async () => {
    const r = await negotiate(page, `pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });`);
    assert.equal(r.status, 201, r.answer);
    const audio = audioSection(r.answer);
    assert.match(audio, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF \d+/);
    assert.match(audio, /a=rtpmap:\d+ opus\/48000\/2/);
    assert.match(audio, /a=sendonly/);
    assert.match(r.answer, /a=group:BUNDLE 0 1/);
    assert.ok(r.media.audio && r.media.audio.packets > 20, JSON.stringify(r.media));
    assert.ok(r.media.video.frames > 30, JSON.stringify(r.media));
  });

  test('no audio in the offer: video only, no audio section', async () => {
    const r = await negotiate(page, `pc.addTransceiver('video', { direction: 'recvonly' });`);
    assert.equal(r.status, 201, r.answer);
    assert.equal(audioSection(r.answer), undefined);
    assert.equal(r.media.audio, undefined);
    assert.ok(r.media.video.frames > 30, JSON.stringify(r.media));
  });

  test('audio sendrecv: answered sendonly, audio arrives', async () => {
    const r = await negotiate(page, `pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'sendrecv' });`);
    assert.equal(r.status, 201, r.answer);
    assert.match(audioSection(r.answer), /a=sendonly/);
    assert.ok(r.media.audio && r.media.audio.packets > 20, JSON.stringify(r.media));
  });

  test('audio without Opus: the audio section is rejected, video plays', async () => {
    const r = await negotiate(page, `pc.addTransceiver('video', { direction: 'recvonly' });
      const t = pc.addTransceiver('audio', { direction: 'recvonly' });
      t.setCodecPreferences(RTCRtpReceiver.getCapabilities('audio').codecs
        .filter((c) => c.mimeType.toLowerCase() === 'audio/pcmu'));`);
    assert.equal(r.status, 201, r.answer);
    assert.match(audioSection(r.answer), /^m=audio 0 /);
    assert.doesNotMatch(r.answer, /opus/i);
    assert.ok(r.media.video.frames > 30, JSON.stringify(r.media));
    assert.ok(!r.media.audio || !r.media.audio.packets, JSON.stringify(r.media));
  });
});

test('a service without sound rejects the audio section and plays video', { timeout: 60000 }, async () => {
  const service = await startService(['--width', '320', '--height', '240', '--no-audio']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(new URL('api/status', service.url).href);
    const r = await negotiate(page, `pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });`);
    assert.equal(r.status, 201, r.answer);
    assert.match(audioSection(r.answer), /^m=audio 0 /);
    assert.ok(r.media.video.frames > 30, JSON.stringify(r.media));
    assert.equal((await getStatus(service.url)).audio, undefined);
  } finally {
    await browser.close();
    assert.equal(await service.stop(), 0, service.log().slice(-3000));
  }
});
