// SPDX-License-Identifier: GPL-3.0-or-later
// bench/results/latest.png: per-stage server latency (median, p95, p99 of
// the 1280x720 chromium run), CPU per viewer (hdmirtc and the reference)
// and the memory soak's RSS and descriptors over time, with gnuplot's
// pngcairo terminal.  Skipped, with the reason, without gnuplot.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STAGES = ['capture_to_encode_start', 'capture_to_encode_end', 'capture_to_first_send', 'capture_to_last_send'];
const LABELS = ['encode start', 'encode end', 'first send', 'last send'];

function stageData(lat) {
  return STAGES.map((s, i) => {
    const v = lat?.[s];
    return `"${LABELS[i]}" ${v ? [v.median, v.p95, v.p99].map((x) => (x / 1000).toFixed(3)).join(' ') : '0 0 0'}`;
  }).join('\n');
}

function cpuData(cpu) {
  return (cpu?.by_viewers || []).filter((c) => Number.isFinite(c.service_pct)).map((c) => `${c.viewers} ${c.service_pct}`).join('\n');
}

function soakData(m) {
  return (m?.samples || []).filter((s) => Number.isFinite(s.rss_kb))
    .map((s) => `${(s.t_s / 60).toFixed(3)} ${(s.rss_kb / 1024).toFixed(2)} ${s.fds ?? 'NaN'}`).join('\n');
}

export function plotResults(result, pngPath) {
  if (spawnSync('sh', ['-c', 'command -v gnuplot'], { encoding: 'utf8' }).status !== 0) {
    return { skipped: 'gnuplot is not installed (apt-get install gnuplot-nox)' };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hdmirtc-bench-plot-'));
  try {
    const lat = result.latency.find((l) => l.width === 1280) || result.latency[0];
    writeFileSync(path.join(dir, 'stages.dat'), `${stageData(lat?.server_at_end?.latency_us)}\n`);
    writeFileSync(path.join(dir, 'cpu.dat'), `${cpuData(result.cpu)}\n`);
    const ref = result.reference && !result.reference.skipped ? cpuData(result.reference.cpu) : '';
    writeFileSync(path.join(dir, 'cpu-ref.dat'), `${ref || '0 NaN'}\n`);
    const soak = soakData(result.memory);
    writeFileSync(path.join(dir, 'soak.dat'), `${soak || '0 NaN NaN'}\n`);
    const q = (f) => `'${path.join(dir, f)}'`;
    const script = `
set terminal pngcairo size 1800,500 font 'sans,10' noenhanced
set output '${pngPath}'
set multiplot layout 1,3 title 'hdmirtc ${result.machine.commit ?? ''} — ${result.machine.nproc} × ${String(result.machine.cpu_model ?? '').replace(/'/g, '')}, encoder ${result.encoder ?? '?'}'
set title 'Server stages from capture (${lat ? `${lat.width}x${lat.height}` : '?'}, chromium, last 512 frames)'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'ms since capture'
set yrange [0:*]
set grid ytics
set key top left
plot ${q('stages.dat')} using 2:xtic(1) title 'median', '' using 3 title 'p95', '' using 4 title 'p99'
set title 'Service CPU by viewer count (${result.cpu.width}x${result.cpu.height}@${result.cpu.fps})'
set style data linespoints
set xlabel 'viewers (whep-load)'
set ylabel '% of one core'
set logscale x 2
set xrange [0.5:*]
set key top left
plot ${q('cpu.dat')} using ($1 == 0 ? 0.5 : $1):2 with linespoints lw 2 pt 7 title 'hdmirtc (0 viewers drawn at 0.5)', \\
     ${q('cpu-ref.dat')} using ($1 == 0 ? 0.5 : $1):2 with linespoints lw 2 pt 5 title 'GStreamer webrtcbin reference'
unset logscale x
set xrange [0:*]
set yrange [0:*]
set title 'Memory soak: RSS and open descriptors (${result.memory?.width ?? '?'}x${result.memory?.height ?? '?'}, niced, churn)'
set xlabel 'minutes'
set ylabel 'VmRSS MB'
set y2label 'open fds'
set y2range [0:*]
set y2tics
set key bottom right
plot ${q('soak.dat')} using 1:2 with lines lw 2 title 'VmRSS', '' using 1:3 axes x1y2 with steps lw 1 title 'fds'
unset multiplot
`;
    writeFileSync(path.join(dir, 'plot.gp'), script);
    const r = spawnSync('gnuplot', [path.join(dir, 'plot.gp')], { encoding: 'utf8', timeout: 30000 });
    if (r.status !== 0) return { skipped: `gnuplot failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}` };
    return { file: path.basename(pngPath) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
