// A WHEP client (draft-ietf-wish-whep): one recvonly H.264 video
// transceiver (and with sound, one recvonly Opus one after it), the offer
// POSTed once ICE gathering is done (or after a second), ICE restart by
// PATCH (RFC 8840 fragment, If-Match: * as WHEP 4.4.1 asks of a restart),
// DELETE on close.  Header extensions: abs-capture-time is asked for,
// since chromium leaves it off by default.
//
// Sound or the lowest latency: with the playout-delay extension the
// service asks for no video playout delay, and chromium then shows each
// frame as it is decoded, out of reach of its lip sync; audio always
// comes later (its frames, the jitter buffer, the sound device).  So a
// session with sound leaves playout-delay out, and chromium delays the
// video to play in sync with the sound; a session without keeps it.

// WebRTC as the service sends it: a peer connection that decodes H.264.
// Firefox decodes H.264 over WebRTC only with Cisco's OpenH264 plugin,
// which it downloads by itself: on a network without the internet, or
// before the download, it offers VP8, VP9 and AV1 alone.  Where
// getCapabilities is missing, the offer tells (the service answers 422).
export const NO_H264 = 'this browser cannot play H.264 over WebRTC (Firefox needs its OpenH264 plugin, ' +
  'which it downloads from the internet: Add-ons and themes, Plugins)';

// Why this browser cannot watch the stream over WebRTC, or null.
export function webrtcMissing() {
  if (typeof RTCPeerConnection !== 'function') return 'this browser has no WebRTC';
  const caps = typeof RTCRtpReceiver === 'function' && typeof RTCRtpReceiver.getCapabilities === 'function' &&
    RTCRtpReceiver.getCapabilities('video');
  if (caps && !caps.codecs.some((c) => c.mimeType.toLowerCase() === 'video/h264')) return NO_H264;
  return null;
}

function chooseExtensions(transceiver, sound) {
  if (!transceiver.getHeaderExtensionsToNegotiate) return;
  const exts = transceiver.getHeaderExtensionsToNegotiate().map((e) => {
    if (e.uri.endsWith('/abs-capture-time') && e.direction === 'stopped') return { ...e, direction: 'sendrecv' };
    if (sound && e.uri.endsWith('/playout-delay')) return { ...e, direction: 'stopped' };
    return e;
  });
  try { transceiver.setHeaderExtensionsToNegotiate(exts); } catch (e) { /* keep the defaults */ }
}

function waitForGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
    setTimeout(resolve, timeoutMs);
  });
}

export function parseIceServers(linkHeader) {
  if (!linkHeader) return [];
  return linkHeader.split(/,(?=\s*<)/).filter((l) => /rel="ice-server"/.test(l)).map((l) => {
    const url = l.match(/<([^>]+)>/)[1];
    const user = l.match(/username="([^"]*)"/);
    const cred = l.match(/credential="([^"]*)"/);
    return { urls: url, username: user ? user[1] : undefined, credential: cred ? cred[1] : undefined };
  });
}

// The ICE servers (TURN) the service names before any offer: OPTIONS on
// the endpoint answers with the same Link headers as a 201.
export async function fetchIceServers(url, headers = {}) {
  try {
    const res = await fetch(url, { method: 'OPTIONS', headers });
    return parseIceServers(res.headers.get('Link'));
  } catch (e) {
    return [];
  }
}

const SDPFRAG = 'application/trickle-ice-sdpfrag';

// The parts of an SDP an ICE restart is about: credentials, mid, candidates.
function iceFragment(sdp) {
  const lines = sdp.split(/\r?\n/);
  const pick = (prefix) => lines.find((l) => l.startsWith(prefix));
  const mline = pick('m=');
  return [
    pick('a=ice-ufrag:'), pick('a=ice-pwd:'), mline, pick('a=mid:'),
    ...lines.filter((l) => l.startsWith('a=candidate:') || l === 'a=end-of-candidates'),
  ].filter(Boolean).join('\r\n') + '\r\n';
}

// The current answer with the restart's credentials and candidates in place
// of the old ones (and a newer o= version, as a new description needs).
export function applyRestartFragment(answer, fragment) {
  const frag = fragment.split(/\r?\n/);
  const ufrag = frag.find((l) => l.startsWith('a=ice-ufrag:'));
  const pwd = frag.find((l) => l.startsWith('a=ice-pwd:'));
  if (!ufrag || !pwd) throw new Error('the ICE restart answer has no ice-ufrag/ice-pwd');
  const candidates = frag.filter((l) => l.startsWith('a=candidate:') || l === 'a=end-of-candidates');
  const out = [];
  for (const line of answer.split(/\r?\n/)) {
    if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates' || line === '') continue;
    if (line.startsWith('a=ice-ufrag:')) out.push(ufrag);
    else if (line.startsWith('a=ice-pwd:')) out.push(pwd, ...candidates);
    else if (line.startsWith('o=')) {
      out.push(line.replace(/^(o=\S+ \S+ )(\d+)/, (m, head, v) => head + (BigInt(v) + 1n).toString()));
    } else out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}

export class WhepSession {
  // onTrack(MediaStreamTrack), onState(RTCPeerConnectionState); sound:
  // ask for the audio track too (and play in sync, see above).
  constructor({ url, headers = {}, iceServers = [], sound = false, onTrack, onState }) {
    this.url = url;
    this.headers = headers;
    this.resource = null;
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers });
    const transceivers = [this.pc.addTransceiver('video', { direction: 'recvonly' })];
    chooseExtensions(transceivers[0], sound);
    // Sound second: the video's section carries the transport (BUNDLE).
    if (sound) {
      transceivers.push(this.pc.addTransceiver('audio', { direction: 'recvonly' }));
      chooseExtensions(transceivers[1], sound);
    }
    // The smallest jitter buffers: an IP-KVM is interactive.
    for (const { receiver } of transceivers) {
      if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
      else receiver.playoutDelayHint = 0;
    }
    this.pc.ontrack = (ev) => onTrack(ev.track);
    this.pc.onconnectionstatechange = () => onState(this.pc.connectionState);
  }

  // Resolves with the ICE servers the service named in its Link headers.
  async connect() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await waitForGathering(this.pc, 1000);
    this.postSentAt = performance.now();
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { ...this.headers, 'Content-Type': 'application/sdp' },
      body: this.pc.localDescription.sdp,
    });
    const body = await res.text();
    if (res.status !== 201) throw Object.assign(new Error(body.trim() || `HTTP ${res.status}`), { status: res.status });
    this.resource = new URL(res.headers.get('Location'), new URL(this.url, location.href)).href;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body });
    return parseIceServers(res.headers.get('Link'));
  }

  // ICE restart: new credentials, whatever candidates are gathered within
  // half a second (the service finds the rest as peer-reflexive), and the
  // service's new candidates.  Media keeps flowing on the old path, if it
  // still works, until the new one is chosen.
  async restartIce() {
    if (!this.resource) throw new Error('no WHEP session to restart');
    await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
    await waitForGathering(this.pc, 500);
    const res = await this.patch(iceFragment(this.pc.localDescription.sdp));
    const body = await res.text();
    if (res.status !== 200) {
      const error = new Error(body.trim() || `HTTP ${res.status}`);
      error.status = res.status;
      throw error;
    }
    await this.pc.setRemoteDescription({ type: 'answer', sdp: applyRestartFragment(this.pc.remoteDescription.sdp, body) });
  }

  // A kept-alive HTTP connection may have died with the old address
  // without a reset: give up on it soon and try once more (a new one).
  async patch(body) {
    // Every PATCH of this client is an ICE restart: WHEP 4.4.1 wants "*".
    const headers = { ...this.headers, 'Content-Type': SDPFRAG, 'If-Match': '*' };
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetch(this.resource, { method: 'PATCH', headers, body, signal: AbortSignal.timeout(1500) });
      } catch (e) {
        if (attempt > 0 || e.name !== 'TimeoutError') throw e;
      }
    }
  }

  close() {
    if (this.resource) {
      fetch(this.resource, { method: 'DELETE', headers: this.headers, keepalive: true }).catch(() => {});
    }
    this.resource = null;
    this.pc.close();
  }
}
