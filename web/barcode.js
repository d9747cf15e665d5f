// SPDX-License-Identifier: GPL-3.0-or-later
// Reader for the frame-counter barcode that hdmirtc's test pattern paints
// into the luma plane (include/hdmirtc/barcode.h documents the layout; keep
// both in sync).  Plain ES module, no build step.
//
// 192 bits in 16x16 blocks, row-major from the top-left, floor(width / 16)
// bits per block row, most significant bit first:
//   0..15 sync 0xA5C3 | 16..47 counter | 48..111 monotonic us (int64) |
//   112..175 wall-clock us since the epoch (int64) | 176..191 CRC-16/CCITT-FALSE
//   over the 20 bytes counter|mono|wall (big-endian).
// A bit is 1 when the sum of the 4x4 luma samples at block offsets 6..9 is
// above 2008 (mean above mid-grey 125.5).

export const BARCODE_SYNC = 0xa5c3;
export const BARCODE_BITS = 192;
export const BARCODE_MIN_WIDTH = 320;
const BLOCK = 16;
const SAMPLE_FROM = 6;
const SAMPLE_SIZE = 4;
const THRESHOLD = 2008;

// Pixel rows the barcode occupies for a picture this wide, 0 if too narrow.
export function barcodeRows(width) {
  if (!Number.isInteger(width) || width < BARCODE_MIN_WIDTH) return 0;
  const bitsPerRow = Math.floor(width / BLOCK);
  return Math.ceil(BARCODE_BITS / bitsPerRow) * BLOCK;
}

// CRC-16/CCITT-FALSE: poly 0x1021, init 0xffff, no reflection, no xor out.
export function crc16(bytes, start = 0, end = bytes.length) {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] << 8;
    for (let b = 0; b < 8; b++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

function sampleBit(y, stride, bitsPerRow, i) {
  const x0 = (i % bitsPerRow) * BLOCK + SAMPLE_FROM;
  const y0 = Math.floor(i / bitsPerRow) * BLOCK + SAMPLE_FROM;
  let sum = 0;
  for (let dy = 0; dy < SAMPLE_SIZE; dy++) {
    const row = (y0 + dy) * stride + x0;
    for (let dx = 0; dx < SAMPLE_SIZE; dx++) sum += y[row + dx];
  }
  return sum > THRESHOLD;
}

function readInt64(bytes, offset) {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[offset + i]);
  return Number(BigInt.asIntN(64, v));
}

// yPlane: Uint8Array (or Uint8ClampedArray) of luma, stride bytes a row.
// Returns {counter, monoUs, wallUs} (Numbers; exact below 2^53) or null when
// there is no valid barcode (too small, no sync, checksum mismatch).
export function readBarcode(yPlane, stride, width, height) {
  if (!(yPlane instanceof Uint8Array || yPlane instanceof Uint8ClampedArray)) return null;
  if (![stride, width, height].every(Number.isInteger)) return null;
  const rows = barcodeRows(width);
  if (rows === 0 || stride < width || height < rows) return null;
  const bitsPerRow = Math.floor(width / BLOCK);
  const lastLine = Math.floor((BARCODE_BITS - 1) / bitsPerRow) * BLOCK + SAMPLE_FROM + SAMPLE_SIZE - 1;
  if (yPlane.length < lastLine * stride + bitsPerRow * BLOCK - SAMPLE_FROM) return null;

  const bytes = new Uint8Array(BARCODE_BITS / 8);
  for (let i = 0; i < BARCODE_BITS; i++) {
    if (sampleBit(yPlane, stride, bitsPerRow, i)) bytes[i >> 3] |= 0x80 >> (i & 7);
    if (i === 15 && ((bytes[0] << 8) | bytes[1]) !== BARCODE_SYNC) return null;
  }
  if (((bytes[22] << 8) | bytes[23]) !== crc16(bytes, 2, 22)) return null;
  return {
    counter: ((bytes[2] << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5]) >>> 0,
    monoUs: readInt64(bytes, 6),
    wallUs: readInt64(bytes, 14),
  };
}

function rgbToLuma(buf, plane, width, rows, bgr) {
  const out = new Uint8Array(width * rows);
  const [r, b] = bgr ? [2, 0] : [0, 2];
  for (let y = 0; y < rows; y++) {
    const row = plane.offset + y * plane.stride;
    for (let x = 0; x < width; x++) {
      const p = row + x * 4;
      out[y * width + x] = (16 + (66 * buf[p + r] + 129 * buf[p + 1] + 25 * buf[p + b]) / 256) | 0;
    }
  }
  return out;
}

// The barcode of the frame a <video> element shows, or null: its top luma
// rows copied out of a VideoFrame (~0.2 ms inside requestVideoFrameCallback,
// where a canvas read takes ~4 ms).
export async function readVideoBarcode(video) {
  let frame;
  try {
    frame = new VideoFrame(video, { timestamp: 0 });
    const width = frame.codedWidth & ~1;
    // Only the rows the barcode takes (160 at 320 wide, 80 at 640).
    const rows = Math.min(frame.codedHeight, barcodeRows(width)) & ~1;
    if (rows === 0) return null;
    const rect = { x: 0, y: 0, width, height: rows };
    const buf = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(buf, { rect });
    let luma = buf.subarray(layout[0].offset);
    let stride = layout[0].stride;
    if (/^(RGB|BGR)/.test(frame.format)) {
      luma = rgbToLuma(buf, layout[0], width, rows, frame.format.startsWith('BGR'));
      stride = width;
    }
    return readBarcode(luma, stride, width, rows);
  } catch (e) {
    return null;
  } finally {
    if (frame) frame.close();
  }
}
