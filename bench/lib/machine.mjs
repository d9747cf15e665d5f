// SPDX-License-Identifier: GPL-3.0-or-later
// What the figures were measured on, and /proc readings for CPU time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
  } catch {
    return null;
  }
}

export const CLK_TCK = Number(run('getconf', ['CLK_TCK'])) || 100;

export function describeMachine(repoDir, chromiumPath) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || null;
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], repoDir);
  return {
    nproc: Number(run('nproc', [])) || os.cpus().length,
    cpu_model: model,
    kernel: run('uname', ['-r']),
    os: (readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?(.*?)"?$/m) || [])[1] || null,
    memory_mb: Math.round(os.totalmem() / 1048576),
    loadavg_at_start: os.loadavg().map((v) => Number(v.toFixed(2))),
    chromium: run(chromiumPath, ['--version']),
    node: process.version,
    commit: run('git', ['rev-parse', '--short', 'HEAD'], repoDir),
    commit_full: run('git', ['rev-parse', 'HEAD'], repoDir),
    worktree_modified: dirty === null ? null : dirty.length > 0,
  };
}

// utime + stime of a process, in clock ticks; null once it is gone.
export function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);   // fields 14 and 15 of proc(5)
  } catch {
    return null;
  }
}

// Machine-wide busy and total ticks (all CPUs) from /proc/stat.
export function machineTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] || 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);   // user..steal, guest is inside user
  return { busy: total - idle, total, steal: v[7] || 0 };
}

// utime+stime ticks and name of every process, for "who else was busy".
export function allProcessTicks() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(name, { comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return table;
}

// The `n` processes other than `exclude` that used the most CPU between two
// allProcessTicks() tables, as "name pid: % of a core".
export function topOthers(a, b, seconds, exclude, n = 3) {
  const used = [];
  for (const [pid, p] of b) {
    if (exclude.includes(Number(pid))) continue;
    const ticks = p.ticks - (a.get(pid)?.ticks ?? 0);
    if (ticks > 0) used.push({ pid: Number(pid), comm: p.comm, pct: Number(((ticks / CLK_TCK / seconds) * 100).toFixed(1)) });
  }
  return used.sort((x, y) => y.pct - x.pct).slice(0, n);
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

// What video hardware the machine has, from sysfs (no device is opened):
// V4L2 memory-to-memory H.264 encoders (the Pi's bcm2835-codec "encode"
// node) and HDMI-to-CSI bridges (tc358743 and friends on I2C, or a capture
// node named after them).  The service's own choice is in /api/status.
export function detectVideoHardware() {
  const nodes = [];
  let names = [];
  try { names = readdirSync('/sys/class/video4linux'); } catch { /* no V4L2 at all */ }
  for (const n of names) nodes.push({ node: `/dev/${n}`, name: readText(`/sys/class/video4linux/${n}/name`) });
  const i2c = [];
  let devs = [];
  try { devs = readdirSync('/sys/bus/i2c/devices'); } catch { /* no I2C */ }
  for (const d of devs) {
    const name = readText(`/sys/bus/i2c/devices/${d}/name`);
    if (name) i2c.push(name);
  }
  const bridgeRe = /tc358743|tc358840|lt6911|adv7604|adv7842|hdmi.*(rx|in)/i;
  return {
    v4l2_nodes: nodes,
    m2m_encoder: nodes.find((x) => /encode|h264.*enc|enc.*h264/i.test(x.name || ''))?.name ?? null,
    hdmi_bridge: i2c.find((x) => bridgeRe.test(x)) ?? nodes.find((x) => bridgeRe.test(x.name || ''))?.name ?? null,
  };
}
