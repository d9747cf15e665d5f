// SPDX-License-Identifier: GPL-3.0-or-later
// The reference pipeline on the same input: bench/pattern-pipe (hdmirtc's
// test pattern with its barcode, raw I420 on stdout) piped into
// bench/reference/whep-gst.py (GStreamer x264enc + webrtcbin behind a
// minimal WHEP endpoint that also serves hdmirtc's own player page).  The
// same drivers (latency.mjs, cpu.mjs) measure it; its CPU is the GStreamer
// process plus pattern-pipe (hdmirtc paints its test pattern in-process).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bench = path.resolve(here, '..');
const PYTHON = process.env.HDMIRTC_BENCH_PYTHON || '/usr/bin/python3';
const SCRIPT = path.join(bench, 'reference', 'whep-gst.py');

// Why the reference cannot run here, or null when it can.
export function referenceMissing(patternPipe) {
  if (!existsSync(patternPipe)) return `${patternPipe} is missing (bench/meson.build builds it)`;
  const probe = spawnSync(PYTHON, ['-c', [
    'import gi',
    "gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0')",
    "gi.require_version('GstSdp', '1.0'); gi.require_version('Nice', '0.1')",
    'from gi.repository import Gst, GstWebRTC, GstSdp, Nice',
    'Gst.init(None)',
    "missing = [e for e in ('fdsrc', 'rawvideoparse', 'x264enc', 'rtph264pay', 'webrtcbin', 'nicesrc', 'dtlssrtpenc', 'tee', 'queue', 'fakesink') if not Gst.ElementFactory.find(e)]",
    "print(Gst.version_string()); print(' '.join(missing))",
  ].join('\n')], { encoding: 'utf8', timeout: 20000 });
  if (probe.status !== 0) {
    const last = (probe.stderr || '').trim().split('\n').pop();
    return `GStreamer's Python bindings are missing (${last || 'python3 failed'})`;
  }
  const [, missing] = probe.stdout.split('\n');
  return missing && missing.trim() ? `GStreamer elements missing: ${missing.trim()}` : null;
}

export function gstreamerVersion() {
  const r = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); print(Gst.version_string())"],
    { encoding: 'utf8', timeout: 20000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

// Starts pattern-pipe | whep-gst.py on 127.0.0.1; resolves {url, pids, stop}.
export function referenceStarter(patternPipe, { bitrate = 5000, timeoutMs = 20000 } = {}) {
  return async ({ width, height, fps }) => {
    const size = ['--width', String(width), '--height', String(height), '--fps', String(fps)];
    const gen = spawn(patternPipe, size, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ref = spawn(PYTHON, [SCRIPT, ...size, '--bitrate', String(bitrate), '--web', path.resolve(bench, '..', 'web')], {
      stdio: [gen.stdout, 'pipe', 'pipe'],
    });
    let log = '';
    const onData = (d) => { log += d; if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); };
    for (const s of [gen.stderr, ref.stdout, ref.stderr]) s.on('data', onData);
    const stopAll = async () => {
      for (const c of [ref, gen]) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        if (!(await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 5000, false))]))) {
          c.kill('SIGKILL');
          await exited;
        }
      }
    };
    try {
      const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reference printed no URL in ${timeoutMs} ms:\n${log}`)), timeoutMs);
        ref.stdout.on('data', () => {
          const m = log.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
          if (m) { clearTimeout(timer); resolve(m[1]); }
        });
        ref.on('exit', (code) => { clearTimeout(timer); reject(new Error(`reference exited with ${code}:\n${log}`)); });
      });
      return { url, child: ref, pids: [ref.pid, gen.pid], log: () => log, stop: stopAll };
    } catch (e) {
      await stopAll();
      throw e;
    }
  };
}
