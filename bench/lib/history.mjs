// bench/results keeps the newest full run whole (latest.json, latest.png,
// latest.md) and one line per run in history.jsonl: the figures a reader
// compares across runs, small enough to keep every run in git.
import { appendFileSync } from 'node:fs';
import path from 'node:path';

const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o?.[k] !== undefined).map((k) => [k, o[k]]));

// Encoder out -> last send, median ms, of each run by viewer count.
function fanoutByViewers(runs) {
  const out = {};
  for (const r of runs) {
    const m = r.server?.encode_end_to_last_send_us?.median;
    if (r.viewers > 0 && Number.isFinite(m)) (out[r.viewers] ??= []).push(m / 1000);
  }
  return out;
}

// One run's headline figures (a full, quick or kernel-only run).
export function summaryLine(result) {
  const line = {
    date: result.date,
    commit: result.machine?.commit ?? null,
    kind: result.kernel && !result.latency ? 'kernel' : result.only ? 'only' : result.quick ? 'quick' : 'full',
    duration_s: result.duration_s,
    machine: pick(result.machine, ['cpu_model', 'nproc', 'kernel', 'chromium']),
    encoder: result.encoder?.name ?? result.encoder ?? null,
  };
  if (Array.isArray(result.latency)) {
    line.latency = result.latency.filter((r) => r.pooled).map((r) => ({
      resolution: `${r.width}x${r.height}@${r.fps}`,
      glass_to_glass_median_ms: r.pooled.glass_to_glass_ms?.median,
      capture_to_receive_median_ms: r.pooled.capture_to_receive_ms?.median,
      capture_to_receive_p95_ms: r.pooled.capture_to_receive_ms?.p95,
    }));
  }
  if (result.cpu?.by_viewers) {
    line.cpu = {
      service_pct_by_viewers: Object.fromEntries(result.cpu.by_viewers.map((v) => [v.viewers, v.service_pct])),
      per_viewer_pct: result.cpu.least_squares?.per_viewer_pct ?? null,
      fanout_ms_by_viewers: fanoutByViewers(result.cpu.runs),
    };
  }
  if (result.link?.runs) {
    line.link = {
      fanout_ms_by_viewers: fanoutByViewers(result.link.runs),
      per_viewer_pct: result.link.least_squares?.per_viewer_pct ?? null,
    };
  }
  if (result.audio?.by_viewers) {
    line.audio = {
      sound_cost_pct_by_viewers: Object.fromEntries(result.audio.by_viewers.map((v) => [v.viewers, v.sound_cost_pct])),
      audio_thread_pct: result.audio.by_viewers.find((v) => v.viewers === 1)?.audio_thread_pct ?? null,
      pass: result.audio.verdict?.pass ?? null,
    };
  }
  if (Array.isArray(result.comparison)) line.reference = result.comparison;
  if (result.memory?.verdict) {
    line.memory = pick(result.memory, ['seconds', 'start_kb', 'end_kb', 'slope_kb_per_min', 'verdict']);
  }
  if (result.kernel && !result.kernel.skipped) line.kernel = pick(result.kernel, ['passed', 'failed']);
  return line;
}

export function appendHistory(outDir, result) {
  appendFileSync(path.join(outDir, 'history.jsonl'), `${JSON.stringify(summaryLine(result))}\n`);
}
