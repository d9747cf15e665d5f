// WHEP conformance of the service as a WHEP server, one test per server
// requirement, written from the WHEP specification:
//   draft-ietf-wish-whep-03 (August 2025, the latest published revision;
//   "§" numbers below are its sections), the editor's copy after it for
//   HEAD discovery (marked "editor's copy"), and the parts of WHIP
//   (RFC 9725) that WHEP defers to (ice-server Link headers, RFC 9725 §4.6).
// Plain fetch, no browser: offers are real Chromium offers from
// tests/unit/fixtures with their candidates taken out (the service gets
// no addresses outside loopback to send checks to; an offer without
// candidates is allowed, RFC 8863). Nothing here contacts a STUN/TURN
// server: the TURN server named below is a loopback port nobody serves.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService, getStatus } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../unit/fixtures');
const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';
const ORIGIN = 'https://player.example';
const TOKEN = 'whep-Token-7';
const TURN = 'turn:127.0.0.1:9?transport=udp';

// A fixture offer without candidates, direction replaced if asked.
function offer(name = 'chromium-recvonly-video.sdp', direction) {
  let lines = readFileSync(path.join(fixtures, name), 'utf8').split(/\r?\n/)
    .filter((l) => l && !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .map((l) => (l.startsWith('c=IN IP') ? 'c=IN IP4 0.0.0.0' : l))
    .map((l) => l.replace(/^(m=\w+) \d+ /, '$1 9 '));
  if (direction) lines = lines.map((l) => (/^a=(sendrecv|recvonly|sendonly|inactive)$/.test(l) ? `a=${direction}` : l));
  return lines.join('\r\n') + '\r\n';
}

const attr = (sdp, name) => sdp.split(/\r?\n/).filter((l) => l.startsWith(`a=${name}`));
const value = (sdp, name) => attr(sdp, `${name}:`).map((l) => l.slice(name.length + 3));
// RFC 9110 §8.8.3: a strong entity-tag is a quoted opaque-tag, no W/.
const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

async function call(base, method, url, { type, body, headers = {} } = {}) {
  const h = { ...headers };
  if (type) h['Content-Type'] = type;
  const res = await fetch(new URL(url, base), { method, headers: h, body, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

// One WHEP client's view of a service: POST, PATCH, DELETE, and its
// sessions deleted when the test t ends, passed or not (the viewer limit
// is low).
function client(t, service, auth = {}) {
  const endpoint = new URL('whep', service.url).href;
  const sessions = new Set();
  const c = {
    endpoint,
    call: (method, url, opts = {}) => call(endpoint, method, url, { ...opts, headers: { ...auth, ...opts.headers } }),
    async post(sdp = offer(), opts = {}) {
      const r = await this.call('POST', endpoint, { type: SDP, body: sdp, ...opts });
      if (r.status === 201) {
        r.session = new URL(r.headers.get('Location'), endpoint).href;
        sessions.add(r.session);
      }
      return r;
    },
    patch(session, frag, headers = {}) {
      return this.call('PATCH', session, { type: SDPFRAG, body: frag, headers });
    },
    async cleanup() {
      for (const s of sessions) await this.call('DELETE', s);
      sessions.clear();
    },
  };
  t?.after(() => c.cleanup());
  return c;
}

// A trickle fragment for the answer's mid (RFC 8840 §4.4, WHEP §4.4.2:
// the first m= section of the bundle only), loopback candidates.
function trickle(ufrag, pwd, candidates = ['a=candidate:1 1 udp 2122260223 127.0.0.1 61764 typ host'], end = true) {
  return ['m=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:0', `a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`,
    ...candidates, ...(end ? ['a=end-of-candidates'] : [])].join('\r\n') + '\r\n';
}

const offerUfrag = value(offer(), 'ice-ufrag')[0];
const offerPwd = value(offer(), 'ice-pwd')[0];

let plain;   // CORS origin set, 2 viewers at most, no token, no TURN
let locked;  // token and a TURN server set

before(async () => {
  // Every request comes from 127.0.0.1: no per-address share below the
  // viewer limit, so that the limit itself answers (503).
  plain = await startService(['--width', '640', '--height', '360', '--cors-origin', ORIGIN, '--max-viewers', '2',
    '--max-viewers-per-address', '3']);
  locked = await startService(['--width', '640', '--height', '360', '--token', TOKEN,
    '--turn', TURN, '--turn-username', 'kvm', '--turn-password', 'pa"ss']);
});

after(async () => {
  if (plain) assert.equal(await plain.stop(), 0, plain.log().slice(-3000));
  if (locked) assert.equal(await locked.stop(), 0, locked.log().slice(-3000));
});

describe('§4.1 HTTP usage', () => {
  test('§4.1: GET on the WHEP endpoint URL answers 2xx with no content', async (t) => {
    const c = client(t, plain);
    const r = await c.call('GET', c.endpoint);
    assert.ok(r.status >= 200 && r.status < 300, `GET /whep -> ${r.status}: ${r.text}`);
    assert.equal(r.text, '');
  });

  test('§4.1: GET on a WHEP session URL answers 2xx with no content (404 once it is gone)', async (t) => {
    const c = client(t, plain);
    const { session } = await c.post();
    const r = await c.call('GET', session);
    assert.ok(r.status >= 200 && r.status < 300, `GET session -> ${r.status}: ${r.text}`);
    assert.equal(r.text, '');
    await c.cleanup();
    // RFC 9110 §15.5.5: the resource no longer exists.
    assert.equal((await c.call('GET', session)).status, 404);
  });

  // Not in -03: the editor's copy after it ("WHEP Endpoint URL
  // Discoverability") asks for this so players can recognise an endpoint.
  test('editor\'s copy (discoverability): HEAD on the endpoint answers 200 with Content-Type application/sdp, no body', async (t) => {
    const c = client(t, plain);
    const head = await c.call('HEAD', c.endpoint);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('Content-Type'), SDP);
    assert.equal(head.text, '');
    // ...and the same header fields as GET (RFC 9110 §9.3.2).
    const get = await c.call('GET', c.endpoint);
    assert.equal(get.status, head.status);
    assert.equal(get.headers.get('Content-Type'), SDP);
  });

  test('RFC 9110 §15.5.6: a method the endpoint or a session does not allow answers 405 with Allow', async (t) => {
    const c = client(t, plain);
    const put = await c.call('PUT', c.endpoint, { type: SDP, body: offer() });
    assert.equal(put.status, 405);
    assert.deepEqual(put.headers.get('Allow').split(/,\s*/).sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
    const { session } = await c.post();
    const post = await c.call('POST', session, { type: SDP, body: offer() });
    assert.equal(post.status, 405);
    assert.deepEqual(post.headers.get('Allow').split(/,\s*/).sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH']);
    await c.cleanup();
  });
});

describe('§4.2 playback session set up', () => {
  test('§4.2.1: an accepted offer gets 201 with Content-Type application/sdp, the answer as body and a Location of the session', async (t) => {
    const c = client(t, plain);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('Content-Type'), SDP);
    assert.match(r.text, /^v=0\r\n/);
    assert.match(r.text, /^m=video /m);
    assert.ok(r.headers.get('Location'), 'no Location');
    // The Location is the session: it can be patched and deleted.
    const frag = trickle(offerUfrag, offerPwd);
    assert.equal((await c.patch(r.session, frag, { 'If-Match': r.headers.get('ETag') })).status, 204);
    assert.equal((await c.call('DELETE', r.session)).status, 200);
  });

  test('§4.4.1: the 201 carries a strong ETag identifying the ICE session, unique per session', async (t) => {
    const c = client(t, plain);
    const a = await c.post();
    const b = await c.post();
    assert.match(a.headers.get('ETag') ?? '', STRONG_ETAG);
    assert.match(b.headers.get('ETag') ?? '', STRONG_ETAG);
    assert.notEqual(a.headers.get('ETag'), b.headers.get('ETag'));
    assert.notEqual(a.session, b.session);
    await c.cleanup();
  });

  test('§4.2.4: a POST with a content type other than application/sdp is refused with 4xx (415, Accept-Post)', async (t) => {
    const c = client(t, plain);
    const viewers = (await getStatus(plain.url)).viewers.length;
    for (const type of ['text/plain', 'application/json', undefined]) {
      const r = await c.call('POST', c.endpoint, { type, body: offer() });
      assert.equal(r.status, 415, `${type}: ${r.text}`);
      assert.equal(r.headers.get('Accept-Post'), SDP);
      assert.equal(r.headers.get('Location'), null);
    }
    assert.equal((await getStatus(plain.url)).viewers.length, viewers, 'a refused POST left a viewer');
  });

  test('§4.2.4: a malformed SDP offer is refused with 4xx (400) and a readable reason', async (t) => {
    const c = client(t, plain);
    for (const name of ['malformed-garbage.sdp', 'malformed-missing-v.sdp', 'malformed-truncated.sdp']) {
      const r = await c.post(readFileSync(path.join(fixtures, name), 'utf8'));
      assert.equal(r.status, 400, `${name}: ${r.status} ${r.text}`);
      assert.match(r.headers.get('Content-Type'), /^text\/plain/);
      assert.match(r.text, /^400 Bad Request: \S.{10,}/, `${name}: no reason in ${JSON.stringify(r.text)}`);
      assert.equal(r.headers.get('Location'), null);
    }
  });

  // §4.2.2/§4.2.3: a 406 means "here is a counter-offer": an application/sdp
  // body and a Location for the session the player must PATCH its answer
  // to. The service never counter-offers, so an offer it cannot serve must
  // not be refused with 406; it gets 422 (RFC 9110 §15.5.21: understood but
  // not processable; RFC 9725 §4.4.3 names 422 or 400 for such refusals).
  test('§4.2.2/§4.2.3: an offer the service cannot serve is refused with 422, never 406 (406 means a counter-offer)', async (t) => {
    const c = client(t, plain);
    for (const name of ['chromium-recvonly-video-no-h264.sdp', 'chromium-recvonly-audio.sdp', 'chromium-recvonly-video-h264-mode0.sdp']) {
      const r = await c.post(offer(name));
      assert.equal(r.status, 422, `${name}: ${r.status} ${r.text}`);
      assert.match(r.headers.get('Content-Type'), /^text\/plain/);
      assert.match(r.text, /^422 Unprocessable Content: \S/);
      assert.equal(r.headers.get('Location'), null);
    }
  });

  test('§4.2.5: the answer to a recvonly offer uses a=sendonly', async (t) => {
    const c = client(t, plain);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(attr(r.text, 'send').concat(attr(r.text, 'recv'), attr(r.text, 'inactive')), ['a=sendonly']);
    await c.cleanup();
  });

  test('§4.2.5: a sendrecv offer (players MAY send one) is accepted and answered a=sendonly', async (t) => {
    const c = client(t, plain);
    const r = await c.post(offer('chromium-sendrecv-video.sdp'));
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(attr(r.text, 'send').concat(attr(r.text, 'recv'), attr(r.text, 'inactive')), ['a=sendonly']);
    await c.cleanup();
  });

  // Players MUST NOT offer these (§4.2.5); what a server does with them is
  // not said. The service's choice: refuse, since it could send nothing.
  test('§4.2.5: sendonly and inactive offers (players MUST NOT send them) are refused with 4xx (service\'s choice)', async (t) => {
    const c = client(t, plain);
    for (const direction of ['sendonly', 'inactive']) {
      const r = await c.post(offer(undefined, direction));
      assert.ok(r.status >= 400 && r.status < 500, `${direction}: ${r.status} ${r.text}`);
      assert.notEqual(r.status, 406);
    }
  });

  test('§4.2.8: 409 until a live publication exists', { skip: 'not applicable: the service always has a picture (source, test pattern or NO SIGNAL)' }, () => {});

  test('§4.2.2: counter-offer (406 + SDP offer, then PATCH application/sdp answer -> 204)', { skip: 'not applicable: the service accepts or refuses offers, it never counter-offers (a MAY)' }, () => {});
});

describe('§4.3 playback session termination', () => {
  test('§4.3: DELETE on the session URL answers 200 and frees the session', async (t) => {
    const c = client(t, plain);
    const { session } = await c.post();
    const id = session.split('/').pop();
    assert.ok((await getStatus(plain.url)).viewers.some((v) => v.id === id));
    const r = await c.call('DELETE', session);
    assert.equal(r.status, 200);
    assert.ok(!(await getStatus(plain.url)).viewers.some((v) => v.id === id), 'the viewer is still there');
  });

  // WHEP says nothing of a second DELETE; HTTP does: DELETE is idempotent
  // in its effect (RFC 9110 §9.2.2), not in its status, and a resource that
  // is gone answers 404 (§15.5.5).
  test('§4.3 + RFC 9110 §9.2.2: a second DELETE changes nothing and answers 404, as do PATCH and GET', async (t) => {
    const c = client(t, plain);
    const { session, headers } = await c.post();
    assert.equal((await c.call('DELETE', session)).status, 200);
    const viewers = (await getStatus(plain.url)).viewers.length;
    const again = await c.call('DELETE', session);
    assert.equal(again.status, 404);
    assert.match(again.text, /^404 Not Found: /);
    assert.equal((await c.patch(session, trickle(offerUfrag, offerPwd), { 'If-Match': headers.get('ETag') })).status, 404);
    assert.equal((await c.call('GET', session)).status, 404);
    assert.equal((await getStatus(plain.url)).viewers.length, viewers);
  });

  test('§4.4.1: DELETE ignores any entity-tag the player sends', async (t) => {
    const c = client(t, plain);
    const { session } = await c.post();
    const r = await c.call('DELETE', session, { headers: { 'If-Match': '"not-the-etag"' } });
    assert.equal(r.status, 200, r.text);
  });

  test('RFC 9110 §15.5.5: DELETE of a session that never existed answers 404', async (t) => {
    const c = client(t, plain);
    assert.equal((await c.call('DELETE', 'whep/0123456789abcdef01234567')).status, 404);
  });
});

describe('§4.3 OPTIONS and CORS', () => {
  const preflight = (method, headers) => ({
    Origin: ORIGIN, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers,
  });
  const list = (h, name) => (h.get(name) ?? '').toLowerCase().split(/,\s*/);

  test('§4.3: a CORS preflight for POST to the endpoint is answered 200 allowing the player\'s method and headers', async (t) => {
    const c = client(t, plain);
    const r = await c.call('OPTIONS', c.endpoint, { headers: preflight('POST', 'authorization,content-type') });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('Access-Control-Allow-Origin'), ORIGIN);
    assert.ok(list(r.headers, 'Access-Control-Allow-Methods').includes('post'));
    for (const h of ['content-type', 'authorization']) assert.ok(list(r.headers, 'Access-Control-Allow-Headers').includes(h), h);
  });

  test('§4.3: the 200 answer to OPTIONS on the endpoint has Accept-Post: application/sdp', async (t) => {
    const c = client(t, plain);
    for (const headers of [{}, preflight('POST', 'content-type')]) {
      const r = await c.call('OPTIONS', c.endpoint, { headers });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('Accept-Post'), SDP);
      assert.ok(list(r.headers, 'Allow').includes('post'));
    }
  });

  // A session takes PATCH, not POST: it names its patch format instead
  // (RFC 5789 §3.1), and a preflight must allow If-Match for PATCH.
  test('§4.3 + RFC 5789 §3.1: OPTIONS on a session allows PATCH (with If-Match) and DELETE and names Accept-Patch', async (t) => {
    const c = client(t, plain);
    const { session } = await c.post();
    const r = await c.call('OPTIONS', session, { headers: preflight('PATCH', 'content-type,if-match') });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('Access-Control-Allow-Origin'), ORIGIN);
    for (const m of ['patch', 'delete']) assert.ok(list(r.headers, 'Access-Control-Allow-Methods').includes(m), m);
    for (const h of ['content-type', 'if-match']) assert.ok(list(r.headers, 'Access-Control-Allow-Headers').includes(h), h);
    assert.equal(r.headers.get('Accept-Patch'), SDPFRAG);
    await c.cleanup();
  });

  // FETCH: a cross-origin player reads only the headers exposed to it;
  // without these it could not find its session, ETag or ICE servers.
  test('§4.3 (FETCH): answers carry Access-Control-Allow-Origin and expose Location, ETag and Link', async (t) => {
    const c = client(t, plain);
    const r = await c.post(offer(), { headers: { Origin: ORIGIN } });
    assert.equal(r.headers.get('Access-Control-Allow-Origin'), ORIGIN);
    for (const h of ['location', 'etag', 'link']) assert.ok(list(r.headers, 'Access-Control-Expose-Headers').includes(h), h);
    const refused = await c.call('POST', c.endpoint, { type: 'text/plain', body: 'x', headers: { Origin: ORIGIN } });
    assert.equal(refused.headers.get('Access-Control-Allow-Origin'), ORIGIN, 'errors must be readable too');
    await c.cleanup();
  });
});

describe('§4.4 ICE: PATCH, trickle and restarts', () => {
  let c, session, etag, answer;
  before(async () => {
    c = client(null, plain);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    ({ session } = r);
    etag = r.headers.get('ETag');
    answer = r.text;
  });
  after(() => c.cleanup());

  test('§4.4.1: a PATCH with a content type other than application/trickle-ice-sdpfrag is refused with 4xx (415, Accept-Patch)', async () => {
    const r = await c.call('PATCH', session, { type: SDP, body: trickle(offerUfrag, offerPwd), headers: { 'If-Match': etag } });
    assert.equal(r.status, 415, r.text);
    assert.equal(r.headers.get('Accept-Patch'), SDPFRAG);
  });

  test('§4.4.1: a malformed SDP fragment is refused with 4xx (400)', async () => {
    for (const body of ['hello\r\n', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n', 'a=candidate:1 1 udp\r\n']) {
      const r = await c.patch(session, body, { 'If-Match': etag });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.status} ${r.text}`);
    }
  });

  test('§4.4.1 + RFC 6585 §3: a PATCH without If-Match is answered 428 Precondition Required', async () => {
    const r = await c.patch(session, trickle(offerUfrag, offerPwd));
    assert.equal(r.status, 428, r.text);
    assert.match(r.text, /^428 Precondition Required: .*If-Match/);
  });

  test('§4.4.1 + RFC 9110 §13.1.1: a PATCH whose If-Match does not match the ETag is answered 412', async () => {
    for (const tag of ['"not-the-etag"', `W/${etag}`]) {
      const r = await c.patch(session, trickle(offerUfrag, offerPwd), { 'If-Match': tag });
      assert.equal(r.status, 412, `${tag}: ${r.text}`);
    }
  });

  test('RFC 9110 §13.1.1: If-Match is a list: one member that is the ETag is enough', async () => {
    const r = await c.patch(session, trickle(offerUfrag, offerPwd), { 'If-Match': `"other", W/${etag}, ${etag}` });
    assert.equal(r.status, 204, r.text);
  });

  // RFC 9110 §13.2.1: preconditions are not evaluated when the request
  // would fail without them.
  test('RFC 9110 §13.2.1: a PATCH of an unknown session is 404 whatever its If-Match', async () => {
    for (const headers of [{}, { 'If-Match': '*' }, { 'If-Match': etag }]) {
      const r = await c.patch('whep/0123456789abcdef01234567', trickle(offerUfrag, offerPwd), headers);
      assert.equal(r.status, 404, `${JSON.stringify(headers)}: ${r.text}`);
    }
  });

  test('§4.4.2: the answer holds the server\'s full candidate list (gathered before answering)', () => {
    assert.ok(attr(answer, 'candidate:').length > 0, 'no a=candidate in the answer');
    assert.ok(attr(answer, 'end-of-candidates').length > 0, 'no a=end-of-candidates: the list is not said to be complete');
  });

  test('§4.4.2: a trickle PATCH (same ufrag) is answered 204 without a body and without an ETag', async () => {
    const r = await c.patch(session, trickle(offerUfrag, offerPwd, undefined, false), { 'If-Match': etag });
    assert.equal(r.status, 204, r.text);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('ETag'), null);
  });

  test('§4.4.2: candidates of an unsupported transport or an unresolvable address are dropped silently, the rest taken', async () => {
    const r = await c.patch(session, trickle(offerUfrag, offerPwd, [
      'a=candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active',
      'a=candidate:3 1 udp 2122260223 0b8d1c6e-5d5c-4a6b-9c3e-0e3e0f1a2b3c.local 61765 typ host',
      'a=candidate:4 1 udp 2122194687 127.0.0.1 61766 typ host',
    ]), { 'If-Match': etag });
    assert.equal(r.status, 204, r.text);
  });

  test('§4.4.1/§4.4.3: the session does both trickle and restart, so no 422 is due', { skip: 'not applicable: 422 is for a session that supports only one of them' }, () => {});

  describe('§4.4.3 ICE restart', () => {
    let restart, newEtag;
    before(async () => {
      restart = await c.patch(session, trickle('rst1', 'restartrestartrestart01'), { 'If-Match': '*' });
      newEtag = restart.headers.get('ETag');
    });

    test('§4.4.3: new ice-ufrag/ice-pwd with If-Match "*" is answered 200 with an application/trickle-ice-sdpfrag body', () => {
      assert.equal(restart.status, 200, restart.text);
      assert.equal(restart.headers.get('Content-Type'), SDPFRAG);
    });

    test('§4.4.3: the restart answer holds the server\'s new ICE username fragment and password and its candidates', () => {
      const [ufrag] = value(restart.text, 'ice-ufrag');
      const [pwd] = value(restart.text, 'ice-pwd');
      assert.ok(ufrag && pwd, restart.text);
      assert.notEqual(ufrag, value(answer, 'ice-ufrag')[0]);
      assert.notEqual(pwd, value(answer, 'ice-pwd')[0]);
      assert.ok(attr(restart.text, 'candidate:').length > 0, 'no candidates');
    });

    test('§4.4.3: the 200 carries a new strong ETag', () => {
      assert.match(newEtag ?? '', STRONG_ETAG);
      assert.notEqual(newEtag, etag);
    });

    test('§4.4.3: the restart answer has the same ice-options, ice-pacing and ice-lite as the SDP answer', () => {
      for (const name of ['ice-options', 'ice-pacing', 'ice-lite']) {
        assert.deepEqual(attr(restart.text, name), attr(answer, name), name);
      }
    });

    test('§4.4.1: after a restart the old ETag fails (412) and the new one is taken (204)', async () => {
      const frag = trickle('rst1', 'restartrestartrestart01', undefined, false);
      assert.equal((await c.patch(session, frag, { 'If-Match': etag })).status, 412);
      assert.equal((await c.patch(session, frag, { 'If-Match': newEtag })).status, 204);
    });

    test('§4.4.3: a restart that cannot be done answers an error and keeps the session and its ICE session', async () => {
      // Another mid than the session's: the fragment cannot be applied.
      const other = trickle('rst2', 'restartrestartrestart02').replace('a=mid:0', 'a=mid:7');
      const r = await c.patch(session, other, { 'If-Match': '*' });
      assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${r.text}`);
      assert.equal(r.headers.get('ETag'), null);
      const id = session.split('/').pop();
      assert.ok((await getStatus(plain.url)).viewers.some((v) => v.id === id), 'the session was dropped');
      const frag = trickle('rst1', 'restartrestartrestart01', undefined, false);
      assert.equal((await c.patch(session, frag, { 'If-Match': newEtag })).status, 204, 'the ICE session changed');
    });
  });
});

describe('§4.5 WebRTC constraints', () => {
  let answer;
  before(async () => {
    const c = client(null, plain);
    answer = (await c.post()).text;
    await c.cleanup();
  });

  // §4.5.1 asks both sides for rtcp-mux-only "as per Section 3 of RFC
  // 8858", and RFC 8858 §4.2 forbids it in an answer: the answer has
  // rtcp-mux (exclusive multiplexing accepted) and no rtcp-mux-only.
  test('§4.5.1: the answer bundles (a=group:BUNDLE with the offer\'s mid) and multiplexes RTP/RTCP', () => {
    assert.deepEqual(attr(answer, 'group:BUNDLE'), ['a=group:BUNDLE 0']);
    assert.equal(attr(answer, 'rtcp-mux').filter((l) => l === 'a=rtcp-mux').length, answer.match(/^m=/gm).length);
    assert.equal(attr(answer, 'rtcp-mux-only').length, 0);
  });

  test('§4.5.2: every m= section of the answer has an a=msid of the one MediaStream', () => {
    const sections = answer.split(/\r\n(?=m=)/).slice(1);
    const ids = sections.map((s) => (value(s, 'msid')[0] ?? '').split(' ')[0]);
    assert.ok(ids.every((id) => id && id === ids[0]), ids.join(', '));
  });

  test('§4.5.3: the media server does full ICE (no a=ice-lite)', () => {
    assert.equal(attr(answer, 'ice-lite').length, 0);
  });
});

describe('§4.6 load balancing and redirections', () => {
  test('§4.6: the endpoint never redirects with 301 or 302', async (t) => {
    const c = client(t, plain);
    const created = await c.post();
    assert.equal(created.status, 201, created.text);
    const slash = await c.call('POST', `${c.endpoint}/`, { type: SDP, body: offer() });
    assert.ok(![301, 302].includes(slash.status), `POST /whep/: ${slash.status}`);
    await c.cleanup();
  });

  test('§4.6: at the viewer limit a POST gets 503 with Retry-After', async (t) => {
    const c = client(t, plain);
    const results = [await c.post(), await c.post(), await c.post()];
    assert.deepEqual(results.map((r) => r.status), [201, 201, 503]);
    const [, , full] = results;
    assert.match(full.headers.get('Retry-After') ?? '', /^\d+$/);
    assert.match(full.text, /^503 Service Unavailable: .*viewer limit/);
    assert.equal(full.headers.get('Location'), null);
    await c.cleanup();
  });

  test('§4.6: 307 for load balancing', { skip: 'not applicable: one service, no load balancing (redirect support is a player requirement)' }, () => {});
});

describe('§4.7 STUN/TURN server configuration (RFC 9725 §4.6)', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const links = (h) => (h.get('Link') ?? '').split(/,\s*(?=<)/).filter(Boolean);
  const turnLink = `<${TURN}>; rel="ice-server"; username="kvm"; credential="pa\\"ss"; credential-type="password"`;

  test('§4.7: the 201 names each TURN server in a Link rel="ice-server" with its credentials', async (t) => {
    const c = client(t, locked, auth);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(links(r.headers), [turnLink]);
    await c.cleanup();
  });

  test('§4.7: without STUN/TURN servers for players there is no ice-server Link', async (t) => {
    const c = client(t, plain);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('Link'), null);
    await c.cleanup();
  });

  test('RFC 9725 §4.6: an OPTIONS before the POST (not a preflight) may carry the same Links', async (t) => {
    const c = client(t, locked, auth);
    const r = await c.call('OPTIONS', c.endpoint);
    assert.equal(r.status, 200);
    assert.deepEqual(links(r.headers), [turnLink]);
  });

  test('RFC 9725 §4.6: a CORS preflight gets no ice-server Link', async (t) => {
    const c = client(t, locked);
    const r = await c.call('OPTIONS', c.endpoint, {
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('Link'), null);
  });

  // Not a spec requirement: preflights need no token (§4.8.1), so an
  // OPTIONS that hands out TURN credentials must not be one anybody can
  // send. The service's choice: such an OPTIONS needs the token.
  test('§4.8.1 + RFC 9725 §4.6: TURN credentials on OPTIONS only for a player with the token (service\'s choice)', async (t) => {
    const c = client(t, locked);
    const r = await c.call('OPTIONS', c.endpoint);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('Link'), null);
    assert.doesNotMatch(r.text, /pa"ss/);
  });

  test('§4.9: no protocol extension is advertised (every Link is an ice-server), so a player needs none', async (t) => {
    const c = client(t, locked, auth);
    const r = await c.post();
    assert.ok(links(r.headers).every((l) => /;\s*rel="ice-server"/.test(l)), r.headers.get('Link'));
    await c.cleanup();
  });
});

describe('§4.8 authentication and authorization (bearer token)', () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  test('§4.8.1 + RFC 6750 §3: a POST without a token is answered 401 with WWW-Authenticate: Bearer', async (t) => {
    const c = client(t, locked);
    const r = await c.post();
    assert.equal(r.status, 401, r.text);
    assert.match(r.headers.get('WWW-Authenticate') ?? '', /^Bearer( |$)/);
    assert.doesNotMatch(r.headers.get('WWW-Authenticate'), /error=/, 'no error code when no credentials were sent (RFC 6750 §3.1)');
  });

  test('§4.8.1 + RFC 6750 §3.1: a wrong token is answered 401 with error="invalid_token"', async (t) => {
    const c = client(t, locked, { Authorization: `Bearer ${TOKEN}x` });
    const r = await c.post();
    assert.equal(r.status, 401);
    assert.match(r.headers.get('WWW-Authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  });

  test('§4.8.1: with the token every request to the endpoint and session works; without it PATCH, DELETE and GET get 401', async (t) => {
    const c = client(t, locked, auth);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    const etag = r.headers.get('ETag');
    const frag = trickle(offerUfrag, offerPwd);
    const anon = client(t, locked);
    for (const [method, opts] of [['PATCH', { type: SDPFRAG, body: frag, headers: { 'If-Match': etag } }], ['DELETE', {}], ['GET', {}]]) {
      const denied = await anon.call(method, r.session, opts);
      assert.equal(denied.status, 401, `${method}: ${denied.text}`);
      assert.match(denied.headers.get('WWW-Authenticate') ?? '', /^Bearer/);
    }
    assert.equal((await c.call('GET', r.session)).status < 300, true);
    assert.equal((await c.patch(r.session, frag, { 'If-Match': etag })).status, 204);
    assert.equal((await c.call('DELETE', r.session)).status, 200);
  });

  test('§4.8.1: CORS preflights carry no token and are answered without one', async (t) => {
    const c = client(t, locked);
    const r = await c.call('OPTIONS', c.endpoint, {
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
    });
    assert.equal(r.status, 200);
    assert.ok((r.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase().includes('authorization'));
  });
});

describe('§5 security considerations', () => {
  test('§5: session URLs are hard to guess (at least 96 random bits each)', async (t) => {
    const c = client(t, plain);
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await c.post()).session.split('/').pop());
    await c.cleanup();
    for (const id of ids) assert.match(id, /^[0-9a-f]{24,}$/);
    assert.notEqual(ids[0], ids[1]);
  });

  // POST floods: tests/browser/http-limits.test.mjs.
  test('§5: rate limit for PATCH and DELETE: a flood from one address gets 429 with Retry-After, another address does not', async (t) => {
    const c = client(t, plain);
    const r = await c.post();
    assert.equal(r.status, 201, r.text);
    const etag = r.headers.get('ETag');
    const frag = trickle(offerUfrag, offerPwd, [], true);
    const statuses = [];
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => c.patch(r.session, frag, { 'If-Match': etag })));
      for (const a of answers) {
        statuses.push(a.status);
        if (a.status === 429) assert.match(a.headers.get('Retry-After') ?? '', /^[1-9]\d*$/, a.text);
      }
    }
    const limited = statuses.filter((s) => s === 429).length;
    assert.ok(limited >= 100, `${limited} of ${statuses.length} PATCHes answered 429`);
    assert.deepEqual([...new Set(statuses.filter((s) => s !== 429))], [204]);
    // Another address is not held back by it.
    const other = await new Promise((resolve, reject) => {
      http.request(r.session, { method: 'DELETE', localAddress: '127.0.0.2' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      }).on('error', reject).end();
    });
    assert.equal(other, 200);
  });

  test('§5: HTTPS SHALL be used: on its defaults the endpoint is https and plain HTTP is only redirected', { timeout: 30000 }, async () => {
    const secure = await startService(['--width', '640', '--height', '360'], { secure: true });
    try {
      const endpoint = new URL('whep', secure.url);
      assert.equal(endpoint.protocol, 'https:');
      const post = (url, extra = []) => spawnSync('curl', ['-sS', '-m', '10', '--cacert', secure.certFile, '-o', '/dev/null',
        '-w', '%{http_code} %{redirect_url}', '-X', 'POST', '-H', 'Content-Type: application/sdp',
        '-H', `Authorization: Bearer ${secure.token}`, '--data-binary', '@-', ...extra, url],
      { input: offer(), encoding: 'utf8' }).stdout;
      assert.equal(post(endpoint.href).split(' ')[0], '201');
      const clear = new URL(endpoint);
      clear.protocol = 'http:';
      assert.equal(post(clear.href), `308 ${endpoint.href}`);
    } finally {
      assert.equal(await secure.stop(), 0, secure.log().slice(-3000));
    }
  });
});
