// WHEP players built on WebRTC stacks other than Chromium's (tests/players/):
// how a test runs one and reads what it decoded.
//
// The contract every player program follows:
//   <player> --url <WHEP endpoint URL> --frames N --out PREFIX [--timeout S]
//            [--certificate rsa|ecdsa] [player-specific options]
// It plays the stream until it has decoded N pictures (or gives up after S
// seconds, exit status non-zero), sends DELETE for its session, and writes
//   PREFIX.json  { "client": "...", "version": "...", "frames_decoded": n,
//                  "width": w, "height": h, "strip_rows": r, ...extra }
//   PREFIX.y     for every decoded picture, its top r luma rows (w bytes
//                each, no padding): where web/barcode.js reads the counter.
// A player that cannot decode by itself (Pion) writes PREFIX.h264 (Annex B
// as received) instead of PREFIX.y; decodeAnnexB() turns it into strips with
// the ffmpeg command line.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBarcode, barcodeRows } from '../../../web/barcode.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const playersDir = path.resolve(here, '../../players');

// The rate of the service the players watch: a real HDMI source's 60 Hz,
// so that their 300 pictures take 5 s of the suite, not the 10 s they did
// at 30 fps.
export const PLAYER_FPS = '60';

// Debian's python3 (where python3-gi and python3-aiortc live), not
// whatever python3 comes first in PATH.
export const debianPython = '/usr/bin/python3';

// Runs a player to the end; resolves with { code, log, meta, dir }.
// wrap: a command to run it under (['ip', 'netns', 'exec', NS]).
export async function runPlayer(command, args, { wrap = [], timeoutMs = 60000, env = {} } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-player-'));
  const out = path.join(dir, 'play');
  const [cmd, ...prefix] = [...wrap, command];
  const child = spawn(cmd, [...prefix, ...args, '--out', out],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const code = await new Promise((resolve) => {
    // A player that hangs is a failure, not a wait: kill it and report.
    const timer = setTimeout(() => { log += `\n[killed after ${timeoutMs} ms]`; child.kill('SIGKILL'); }, timeoutMs);
    child.on('exit', (c, signal) => { clearTimeout(timer); resolve(c ?? signal); });
  });
  const metaFile = `${out}.json`;
  const meta = existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : null;
  return { code, log, meta, dir, out, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Annex B from PREFIX.h264 -> PREFIX.y strips and the decoded count in meta.
export function decodeAnnexB(result) {
  const h264 = `${result.out}.h264`;
  const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
    'stream=width,height', '-of', 'csv=p=0', h264]).toString().trim();
  const [width, height] = probe.split(',').map(Number);
  const rows = barcodeRows(width);
  const yuv = path.join(result.dir, 'decoded.gray');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', h264, '-fps_mode', 'passthrough',
    '-f', 'rawvideo', '-pix_fmt', 'gray', yuv], { timeout: 60000 });
  const all = readFileSync(yuv);
  const frames = all.length / (width * height);
  const strips = Buffer.alloc(frames * width * rows);
  for (let i = 0; i < frames; i++) all.copy(strips, i * width * rows, i * width * height, i * width * height + width * rows);
  writeFileSync(`${result.out}.y`, strips);
  result.meta = { ...result.meta, width, height, strip_rows: rows, frames_decoded: frames };
  return result;
}

// The barcode counters of every decoded picture (null where none reads).
export function readCounters({ meta, out }) {
  const { width, strip_rows: rows } = meta;
  const strips = readFileSync(`${out}.y`);
  const size = width * rows;
  const counters = [];
  for (let off = 0; off + size <= strips.length; off += size) {
    const code = readBarcode(new Uint8Array(strips.buffer, strips.byteOffset + off, size), width, width, rows);
    counters.push(code ? code.counter : null);
  }
  return counters;
}

// At least minFrames pictures decoded, nearly all with a readable counter,
// and the counter advancing: frames that really moved through the decoder,
// not one picture repeated.
export function assertPlayed(assert, result, minFrames, what) {
  assert.equal(result.code, 0, `${what} exited with ${result.code}:\n${result.log.slice(-4000)}`);
  assert.ok(result.meta, `${what} wrote no ${result.out}.json:\n${result.log.slice(-4000)}`);
  assert.ok(result.meta.frames_decoded >= minFrames,
    `${what} decoded ${result.meta.frames_decoded} < ${minFrames} frames:\n${result.log.slice(-4000)}`);
  const counters = readCounters(result);
  assert.ok(counters.length >= minFrames, `${what}: ${counters.length} strips for ${minFrames} frames`);
  const read = counters.filter((c) => c !== null);
  // Pictures decoded before the first IDR arrived (grey) have no code.
  assert.ok(read.length >= counters.length * 0.95,
    `${what}: only ${read.length} of ${counters.length} pictures carry a readable counter`);
  let forward = 0;
  for (let i = 1; i < read.length; i++) {
    assert.ok(read[i] >= read[i - 1], `${what}: counter went back ${read[i - 1]} -> ${read[i]} at ${i}`);
    if (read[i] > read[i - 1]) forward++;
  }
  assert.ok(forward >= read.length * 0.9, `${what}: counter advanced only ${forward} times in ${read.length} pictures`);
  return { counters: read, first: read[0], last: read[read.length - 1] };
}
