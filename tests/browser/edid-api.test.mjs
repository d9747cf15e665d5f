// GET/PUT /api/edid: the EDID is shown with a summary; a malformed upload
// gets 400 with the reason and the old EDID stays; a good one replaces it
// and is kept for the next start (edid-store) until DELETE.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, getStatus } from './lib/service.mjs';

let service;
before(async () => { service = await startService(['--width', '640', '--height', '360']); });
after(async () => { if (service) assert.equal(await service.stop(), 0, service.log().slice(-3000)); });

const edidUrl = () => new URL('api/edid', service.url);

async function getEdid() {
  const res = await fetch(edidUrl());
  assert.equal(res.status, 200);
  return res.json();
}

async function putEdid(body, type) {
  const res = await fetch(edidUrl(), { method: 'PUT', headers: { 'Content-Type': type }, body });
  return { status: res.status, text: (await res.text()).trim() };
}

// Sets byte 127 of each block so the block sums to 0 mod 256.
function fixChecksums(bytes) {
  for (let b = 0; b < bytes.length; b += 128) {
    let sum = 0;
    for (let i = b; i < b + 127; i++) sum += bytes[i];
    bytes[b + 127] = (256 - (sum % 256)) % 256;
  }
  return bytes;
}

test('the built-in EDID is served with a summary', async () => {
  const edid = await getEdid();
  assert.equal(edid.hex.length, edid.blocks * 256);
  assert.ok(edid.hex.startsWith('00ffffffffffff00'));
  assert.equal(edid.preferred_width, 1920);
  assert.equal(edid.preferred_height, 1080);
  const status = await getStatus(service.url);
  assert.equal(status.source.edid.summary, edid.summary);
});

test('a malformed EDID gets 400 and the old one stays', async () => {
  const before = await getEdid();
  const bytes = Buffer.from(before.hex, 'hex');
  bytes[20] ^= 0x55;                             // checksum now wrong
  let r = await putEdid(bytes, 'application/octet-stream');
  assert.equal(r.status, 400);
  assert.match(r.text, /checksum/i);
  r = await putEdid(bytes.subarray(0, 100), 'application/octet-stream');
  assert.equal(r.status, 400);
  r = await putEdid('00 ff zz', 'text/plain');
  assert.equal(r.status, 400);
  assert.match(r.text, /hexadecimal/);
  r = await putEdid(before.hex, 'image/png');
  assert.equal(r.status, 415);
  assert.equal((await getEdid()).hex, before.hex);
});

test('a good EDID replaces the old one (bytes or hex text)', async () => {
  const before = await getEdid();
  const bytes = Buffer.from(before.hex, 'hex');
  bytes[10] = 0x34;                              // product code
  bytes[11] = 0x12;
  let r = await putEdid(fixChecksums(bytes), 'application/octet-stream');
  assert.equal(r.status, 204, r.text);
  let now = await getEdid();
  assert.equal(now.product, 0x1234);
  assert.notEqual(now.hex, before.hex);

  r = await putEdid(before.hex.replace(/(..)/g, '$1 '), 'text/plain');
  assert.equal(r.status, 204, r.text);
  now = await getEdid();
  assert.equal(now.hex, before.hex);
});

test('an uploaded EDID is kept for the next start until DELETE; an unreadable kept one is ignored', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-edid-'));
  const store = path.join(dir, 'edid.bin');
  try {
    const first = await startService(['--width', '640', '--height', '360', '--edid-store', store]);
    const url = new URL('api/edid', first.url);
    const bytes = Buffer.from((await (await fetch(url)).json()).hex, 'hex');
    bytes[10] = 0x78;
    bytes[11] = 0x56;
    const put = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' },
      body: fixChecksums(bytes) });
    assert.equal(put.status, 204);
    assert.equal(await first.stop(), 0);
    assert.deepEqual(readFileSync(store), bytes, 'the upload is in the store file');

    const second = await startService(['--width', '640', '--height', '360', '--edid-store', store]);
    const kept = await (await fetch(new URL('api/edid', second.url))).json();
    assert.equal(kept.product, 0x5678);
    assert.match(second.log(), /EDID: the one uploaded before/);
    // DELETE forgets the upload: the configured (here built-in) EDID again.
    const del = await fetch(new URL('api/edid', second.url), { method: 'DELETE' });
    assert.equal(del.status, 204);
    const reverted = await (await fetch(new URL('api/edid', second.url))).json();
    assert.notEqual(reverted.product, 0x5678);
    assert.equal(reverted.preferred_width, 1920);
    assert.ok(!existsSync(store), 'the store file is removed');
    assert.equal(await second.stop(), 0);
    writeFileSync(store, bytes);

    writeFileSync(store, 'not an EDID');
    const third = await startService(['--width', '640', '--height', '360', '--edid-store', store]);
    const builtIn = await (await fetch(new URL('api/edid', third.url))).json();
    assert.equal(builtIn.preferred_width, 1920);
    assert.notEqual(builtIn.product, 0x5678);
    assert.match(third.log(), /ignoring the uploaded EDID/);
    assert.equal(await third.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
