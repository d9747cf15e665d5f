// A WHEP client (draft-ietf-wish-whep): one recvonly H.264 video
// transceiver, the offer POSTed once ICE gathering is done (or after a
// second), DELETE on close.  Header extensions: abs-capture-time is asked
// for, since chromium leaves it off by default.

function offerAbsCaptureTime(transceiver) {
  if (!transceiver.getHeaderExtensionsToNegotiate) return;
  const exts = transceiver.getHeaderExtensionsToNegotiate().map((e) =>
    (e.uri.endsWith('/abs-capture-time') && e.direction === 'stopped' ? { ...e, direction: 'sendrecv' } : e));
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

export class WhepSession {
  // onTrack(MediaStreamTrack), onState(RTCPeerConnectionState)
  constructor({ url, headers = {}, iceServers = [], onTrack, onState }) {
    this.url = url;
    this.headers = headers;
    this.resource = null;
    this.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers });
    const transceiver = this.pc.addTransceiver('video', { direction: 'recvonly' });
    offerAbsCaptureTime(transceiver);
    // The smallest jitter buffer: an IP-KVM is interactive.
    if ('jitterBufferTarget' in transceiver.receiver) transceiver.receiver.jitterBufferTarget = 0;
    else transceiver.receiver.playoutDelayHint = 0;
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
    if (res.status !== 201) throw new Error(body.trim() || `HTTP ${res.status}`);
    this.resource = new URL(res.headers.get('Location'), new URL(this.url, location.href)).href;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: body });
    return parseIceServers(res.headers.get('Link'));
  }

  close() {
    if (this.resource) {
      fetch(this.resource, { method: 'DELETE', headers: this.headers, keepalive: true }).catch(() => {});
    }
    this.resource = null;
    this.pc.close();
  }
}
