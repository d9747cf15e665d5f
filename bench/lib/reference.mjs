// SPDX-License-Identifier: GPL-3.0-or-later
// The reference pipeline on the same input: bench/reference/whep-gst.py
// (GStreamer x264enc + webrtcbin behind a minimal WHEP endpoint that also
// serves hdmirtc's own player page), which paints hdmirtc's test pattern
// with its barcode in-process with hdmirtc's painter
// (bench/libpattern-paint.so), as the service does.  The same drivers
// (latency.mjs, cpu.mjs) measure it; its CPU is the one GStreamer process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bench = path.resolve(here, '..');
const PYTHON = process.env.HDMIRTC_BENCH_PYTHON || '/usr/bin/python3';
const SCRIPT = path.join(bench, 'reference', 'whep-gst.py');

// Why the reference cannot run here, or null when it can.
export function referenceMissing(painter) {
  if (!existsSync(painter)) return `${painter} is missing (bench/meson.build builds it)`;
  const probe = spawnSync(PYTHON, ['-c', [
    'import gi, ctypes',
    "gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0')",
    "gi.require_version('GstSdp', '1.0'); gi.require_version('Nice', '0.1')",
    'from gi.repository import Gst, GstWebRTC, GstSdp, Nice',
    'Gst.init(None)',
    '# python3-gst-1.0: a mapped buffer as a memoryview (the painter writes into it)',
    'import gi.overrides.Gst',
    "missing = [e for e in ('appsrc', 'x264enc', 'rtph264pay', 'webrtcbin', 'nicesrc', 'dtlssrtpenc', 'tee', 'queue', 'fakesink') if not Gst.ElementFactory.find(e)]",
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

// Starts whep-gst.py on 127.0.0.1; resolves {url, pids, stop}.
// threads: x264's sliced threads, as many as the service's.
export function referenceStarter(painter, { bitrate = 5000, threads, timeoutMs = 20000 } = {}) {
  return async ({ width, height, fps }) => {
    const ref = spawn(PYTHON, [SCRIPT, '--width', String(width), '--height', String(height), '--fps', String(fps),
      '--painter', painter, '--bitrate', String(bitrate), '--threads', String(threads),
      '--web', path.resolve(bench, '..', 'web')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const onData = (d) => { log += d; if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); };
    for (const s of [ref.stdout, ref.stderr]) s.on('data', onData);
    const stopAll = async () => {
      for (const c of [ref]) {
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
      return { url, child: ref, pids: [ref.pid], log: () => log, stop: stopAll };
    } catch (e) {
      await stopAll();
      throw e;
    }
  };
}
