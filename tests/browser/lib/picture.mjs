// Pictures the tests look at: screenshots and JPEG parts decoded with the
// ffmpeg command line into 8-bit luma.
import { execFileSync } from 'node:child_process';

// Decodes one image (PNG, JPEG) to { width, height, luma: Uint8Array }.
export function decodeToLuma(image) {
  const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
    'stream=width,height', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: image }).toString().trim();
  const [width, height] = probe.split(',').map(Number);
  const luma = execFileSync('ffmpeg', ['-v', 'error', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray',
    'pipe:1'], { input: image, maxBuffer: 64 << 20 });
  return { width, height, luma: new Uint8Array(luma.buffer, luma.byteOffset, width * height) };
}

// Mean and standard deviation of the luma: a black (or flat) picture has a
// tiny deviation.
export function lumaStats({ luma }) {
  let sum = 0, sq = 0;
  for (const v of luma) { sum += v; sq += v * v; }
  const mean = sum / luma.length;
  return { mean, stddev: Math.sqrt(sq / luma.length - mean * mean) };
}

export function assertNotBlack(assert, image, what) {
  const stats = lumaStats(decodeToLuma(image));
  assert.ok(stats.mean > 20 && stats.stddev > 15,
    `${what} looks black or flat: mean ${stats.mean.toFixed(1)}, stddev ${stats.stddev.toFixed(1)}`);
}
