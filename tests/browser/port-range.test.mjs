// Issue 5, port range: every viewer's candidates use the configured UDP
// range (one socket per viewer and address, BUNDLE; with ICE-TCP also one
// listening TCP port of the same range), a full range gives a clear 503
// that names it, and a viewer that leaves frees its port.
// No browser needed: a recorded chromium offer is enough to make viewers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const offer = readFileSync(path.join(here, '../unit/fixtures/chromium-recvonly-video.sdp'), 'utf8');

async function post(url) {
  const res = await fetch(new URL('whep', url), { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
  return { status: res.status, body: await res.text(), location: res.headers.get('Location'),
    retryAfter: res.headers.get('Retry-After') };
}

// The ports of the candidates of one transport: 'udp', or 'tcp' for the
// passive TCP ones (the active ones say port 9, RFC 6544).
const ports = (sdp, transport = 'udp') => sdp.split(/\r?\n/)
  .filter((l) => l.startsWith('a=candidate:') && l.split(' ')[2].toLowerCase() === transport &&
    (transport === 'udp' || / tcptype passive/.test(l)))
  .map((l) => Number(l.split(' ')[5]));

test('udp-ports: candidates inside the range, a clear 503 when it is full, ports freed on DELETE', async () => {
  const service = await startService(['--udp-ports', '41000-41001', '--no-ipv6']);
  try {
    const first = await post(service.url);
    const second = await post(service.url);
    assert.equal(first.status, 201, first.body);
    assert.equal(second.status, 201, second.body);
    const used = [...ports(first.body), ...ports(second.body)];
    assert.deepEqual(used.sort(), [41000, 41001], 'one port per viewer, both inside the range');
    const listening = [...ports(first.body, 'tcp'), ...ports(second.body, 'tcp')];
    assert.deepEqual(listening.sort(), [41000, 41001], 'ICE-TCP: one TCP port per viewer, inside the range');

    const full = await post(service.url);
    assert.equal(full.status, 503);
    assert.match(full.body, /no free UDP port in udp-ports 41000-41001/);
    assert.ok(Number(full.retryAfter) > 0, 'a 503 says when to retry');

    const gone = await fetch(new URL(first.location, service.url), { method: 'DELETE' });
    assert.equal(gone.status, 200);
    // libnice closes the socket asynchronously: allow it a moment.
    let again;
    for (let i = 0; i < 20; i++) {
      again = await post(service.url);
      if (again.status === 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(again.status, 201, again.body);
    assert.deepEqual(ports(again.body), ports(first.body), 'the freed port is used again');
  } finally {
    await service.stop();
  }
});
