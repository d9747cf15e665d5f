// SPDX-License-Identifier: GPL-3.0-or-later
// web/barcode.js against pictures painted by the C side (barcode-dump):
// raw luma planes with edge values, and test-pattern frames that went
// through x264 and back through the ffmpeg command line.
//   node --test tests/browser/barcode.test.mjs   (HDMIRTC_BUILD_DIR picks the build)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readBarcode, barcodeRows, crc16 } from '../../web/barcode.js';

import { buildDir } from './lib/service.mjs';

const dumpBin = path.join(buildDir, 'tests/unit/barcode-dump');

function expected(code) {
  return { counter: code.counter, monoUs: Number(BigInt(code.monoUs)), wallUs: Number(BigInt(code.wallUs)) };
}

function withDump(args, fn) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-barcode-'));
  try {
    execFileSync(dumpBin, [dir, ...args], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30000 });
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('crc16 check value', () => {
  assert.equal(crc16(new TextEncoder().encode('123456789')), 0x29b1);
});

test('rows follow the width', () => {
  assert.equal(barcodeRows(319), 0);
  assert.equal(barcodeRows(320), 160);
  assert.equal(barcodeRows(1280), 48);
  assert.equal(barcodeRows(1920), 32);
});

test('no barcode, bad geometry and short buffers give null', () => {
  const w = 640, h = 80;
  assert.equal(readBarcode(new Uint8Array(w * h).fill(16), w, w, h), null);
  assert.equal(readBarcode(new Uint8Array(w * h).fill(235), w, w, h), null);
  assert.equal(readBarcode(new Uint8Array(w * h), w, 304, h), null);
  assert.equal(readBarcode(new Uint8Array(w * h), w - 1, w, h), null);
  assert.equal(readBarcode(new Uint8Array(w * h), w, w, 79), null);
  assert.equal(readBarcode(new Uint8Array(100), w, w, h), null);
  assert.equal(readBarcode([1, 2, 3], w, w, h), null);
  assert.equal(readBarcode(new Uint8Array(w * h), 640.5, w, h), null);
});

test('reads luma planes painted by the C code', () => {
  withDump(['640', '360', '3', '1500'], (dir) => {
    const meta = JSON.parse(readFileSync(path.join(dir, 'raw.json'), 'utf8'));
    const raw = readFileSync(path.join(dir, 'raw.y'));
    const planeSize = meta.stride * meta.height;
    assert.equal(raw.length, planeSize * meta.codes.length);
    meta.codes.forEach((code, i) => {
      const plane = new Uint8Array(raw.buffer, raw.byteOffset + i * planeSize, planeSize);
      assert.deepEqual(readBarcode(plane, meta.stride, meta.width, meta.height), expected(code));
      // One flipped block in the counter: the checksum rejects it.
      const bad = Uint8Array.from(plane);
      for (let y = 0; y < 16; y++) {
        for (let x = 17 * 16; x < 18 * 16; x++) bad[y * meta.stride + x] ^= 0xff;
      }
      assert.equal(readBarcode(bad, meta.stride, meta.width, meta.height), null);
    });
  });
});

function decodeWithFfmpeg(dir) {
  const out = path.join(dir, 'decoded.yuv');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', path.join(dir, 'stream.h264'),
    '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', out],
  { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30000 });
  return readFileSync(out);
}

for (const [w, h] of [[640, 360], [1280, 720]]) {
  test(`reads x264 frames decoded by ffmpeg at ${w}x${h}`, () => {
    withDump([String(w), String(h), '20', '1500'], (dir) => {
      const codes = JSON.parse(readFileSync(path.join(dir, 'stream.json'), 'utf8'));
      const yuv = decodeWithFfmpeg(dir);
      const frameSize = (w * h * 3) / 2;
      assert.equal(codes.length, 20);
      assert.equal(yuv.length, frameSize * codes.length);
      codes.forEach((code, i) => {
        const y = new Uint8Array(yuv.buffer, yuv.byteOffset + i * frameSize, w * h);
        assert.deepEqual(readBarcode(y, w, w, h), expected(code), `frame ${i}`);
      });
    });
  });
}
