// SPDX-License-Identifier: GPL-3.0-or-later
// The churn soak (issue 14): one hdmirtc process, by default the ASan +
// UBSan build with LeakSanitizer on, takes N WHEP join/leave cycles
// (bench/whep-churn: P sessions at a time, each kept until its first whole
// frame, then closed with DELETE, over 4 client addresses) while abusive
// clients keep at it from other addresses:
//   - handshakes that never finish: WHEP offers whose ICE never starts
//     (the service must drop those sessions by itself);
//   - garbage datagrams, random and STUN/DTLS/RTP-looking, to every port
//     of its UDP range;
//   - half-open HTTP connections that send nothing or half a request.
// One well-behaved viewer (bench/whep-load, from 127.0.0.1) watches the
// whole time and must never freeze (no gap between whole frames over
// --freeze-ms: 200 ms, about what WebRTC's stats call a freeze at 30 fps,
// max(3 frame times, 1 frame time + 150 ms)), lose a packet or fail to
// decrypt one.  Every few seconds
// the service's RSS, threads and descriptors are read; at the end, with
// everything closed, descriptors and threads must be back where they
// started, RSS must not grow over the second half (bench/lib/memory.mjs),
// and the service must exit 0 with no sanitizer report.
//
//   node bench/churn.mjs [--cycles 10000] [--parallel 16] [--build DIR]
//                        [--tools DIR] [--freeze-ms 200] [--out bench/results]
// --build: the service's build (default build-asan, else build); --tools:
// the build whose whep-churn and whep-load are the clients (default build:
// unsanitized clients leave the CPU to the service).
//
// Writes OUT/latest-churn.json and .md (OUT/latest-churn-asan.* for a
// sanitizer build); exits 1 when a check fails.  Network: loopback only (127.0.0.0/8).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { NO_GROWTH_KB_PER_MIN, readProcMemory, slopePerMin, summarizeMemory } from './lib/memory.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10000' },
    parallel: { type: 'string', default: '16' },
    build: { type: 'string' },
    tools: { type: 'string' },
    'freeze-ms': { type: 'string', default: '200' },
    out: { type: 'string', default: path.join(here, 'results') },
  },
});
const cycles = Number(args.cycles);
const parallel = Number(args.parallel);
const freezeMs = Number(args['freeze-ms']);
const build = path.resolve(args.build ?? (existsSync(path.join(top, 'build-asan', 'src', 'hdmirtc'))
  ? path.join(top, 'build-asan') : path.join(top, 'build')));
const tools = path.resolve(args.tools ?? (existsSync(path.join(top, 'build', 'bench', 'whep-churn'))
  ? path.join(top, 'build') : build));
process.env.HDMIRTC_BUILD_DIR = build;
// After the variable: the helper reads it when it loads.
const { startService, getStatus } = await import('../tests/browser/lib/service.mjs');
const sanitized = existsSync(path.join(build, 'meson-info')) &&
  /b_sanitize.{0,40}address/.test(readFileSync(path.join(build, 'meson-info', 'intro-buildoptions.json'), 'utf8'));
const UDP_MIN = 20000, UDP_MAX = 20063;
const OFFER = readFileSync(path.join(top, 'tests/unit/fixtures/chromium-recvonly-video.sdp'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('[churn]', ...a);

// A small quarantine: ASan keeps freed memory aside (256 MB by default),
// and RSS would grow until that is full, hiding what the service does.
process.env.ASAN_OPTIONS = 'detect_leaks=1:quarantine_size_mb=16:malloc_context_size=10';
process.env.UBSAN_OPTIONS = 'halt_on_error=1:print_stacktrace=1';

const service = await startService(['--width', '640', '--height', '360', '--fps', '30',
  '--max-viewers', String(parallel + 8), '--max-viewers-per-address', String(parallel),
  '--udp-ports', `${UDP_MIN}-${UDP_MAX}`], { timeoutMs: 60000 });
const pid = service.child.pid;
const whep = new URL('whep', service.url).href;
log(`service ${build}/src/hdmirtc (${sanitized ? 'ASan + UBSan + LSan' : 'no sanitizer'}) at ${service.url}`);
await sleep(2000);
const start = readProcMemory(pid);

function run(binary, argv) {
  const child = spawn(path.join(tools, 'bench', binary), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; if (/cycles, \d+ failed/.test(d)) process.stdout.write(`[churn] ${d}`); });
  child.stderr.on('data', (d) => { out += d; });
  const done = new Promise((resolve) => child.on('exit', (code) => {
    const line = out.split('\n').reverse().find((l) => l.startsWith('{'));
    resolve({ code, summary: line ? JSON.parse(line) : null, out: out.slice(-2000) });
  }));
  return { child, done };
}

// The well-behaved viewer: whep-load runs for a bounded time; stopped
// (SIGINT: it closes and prints its summary) when the churn is done.
const viewer = run('whep-load', ['--url', whep, '--duration', '3600', '--connect-timeout', '60']);

// ---- abusive clients ----------------------------------------------------
const abuse = { offers: 0, offers_refused: 0, datagrams: 0, silent: 0, half_requests: 0 };
let abusing = true;
const sockets = new Set();

async function neverFinishingHandshakes() {
  while (abusing) {
    await new Promise((resolve) => {
      const req = http.request(whep, { method: 'POST', localAddress: '127.0.0.20',
        headers: { 'Content-Type': 'application/sdp' } }, (res) => {
        res.resume();
        res.on('end', resolve);
        abuse.offers++;
        if (res.statusCode !== 201) abuse.offers_refused++;
      });
      req.on('error', resolve);
      req.end(OFFER);
    });
    await sleep(2000);
  }
}

async function garbageDatagrams() {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.21', r));
  const kinds = [
    () => Buffer.from([0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, ...randomBytes(20)]),   // STUN-looking
    () => Buffer.from([0x16, 0xfe, 0xfd, ...randomBytes(40)]),                                  // DTLS-looking
    () => Buffer.from([0x80, 0x66, ...randomBytes(100)]),                                       // RTP-looking
    () => Buffer.from(randomBytes(1 + Math.floor(Math.random() * 1400))),                      // anything
  ];
  while (abusing) {
    for (let i = 0; i < 32; i++) {
      const port = UDP_MIN + Math.floor(Math.random() * (UDP_MAX - UDP_MIN + 1));
      sock.send(kinds[i % kinds.length](), port, '127.0.0.1');
      abuse.datagrams++;
    }
    await sleep(100);
  }
  sock.close();
}

function randomBytes(n) {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 256));
}

async function halfOpenConnections() {
  const port = Number(new URL(service.url).port);
  while (abusing) {
    for (let i = 0; i < 20; i++) {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.22' });
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
      sockets.add(s);
      if (i % 2) {
        s.on('connect', () => s.write('POST /whep HTTP/1.1\r\nHost: kvm\r\nContent-Length: 500\r\n\r\nv=0\r\n'));
        abuse.half_requests++;
      } else {
        abuse.silent++;
      }
    }
    await sleep(3000);
  }
}

const abusers = [neverFinishingHandshakes(), garbageDatagrams(), halfOpenConnections()];

// ---- the churn, sampled -------------------------------------------------
const t0 = Date.now();
const samples = [];
// /proc's figures, and the service's own heap figures (bytes in use
// apart from the free space that fragmentation leaves in the heap).
const sampler = setInterval(async () => {
  const m = readProcMemory(pid);
  const heap = (await getStatus(service.url).catch(() => null))?.memory;
  if (m) samples.push({ t_s: (Date.now() - t0) / 1000, ...m, heap_in_use_kb: heap?.heap_in_use_kb, heap_free_kb: heap?.heap_free_kb });
}, 5000);
const churn = run('whep-churn', ['--url', whep, '--cycles', String(cycles), '--parallel', String(parallel),
  '--addresses', '4', '--connect-timeout', '30']);
const churned = await churn.done;
const seconds = (Date.now() - t0) / 1000;
clearInterval(sampler);
abusing = false;
await Promise.all(abusers);
for (const s of sockets) s.destroy();
viewer.child.kill('SIGINT');
const watched = await viewer.done;

// Everything closed: the sessions whose ICE never started end by
// themselves; then the service should hold what it held at the start.
let status = null;
for (let i = 0; i < 120; i++) {
  status = await getStatus(service.url).catch(() => null);
  if (status && status.viewers.length === 0) break;
  await sleep(1000);
}
await sleep(2000);
const end = readProcMemory(pid);
const memory = summarizeMemory(samples, seconds, { start, end });
const secondHalf = samples.filter((x) => x.t_s >= seconds / 2);
memory.heap_in_use_second_half_slope_kb_per_min = slopePerMin(secondHalf, 'heap_in_use_kb');
memory.heap_free_second_half_slope_kb_per_min = slopePerMin(secondHalf, 'heap_free_kb');
const exitCode = await service.stop();
const serviceLog = service.log();
const sanitizerReports = serviceLog.match(/ERROR: (AddressSanitizer|LeakSanitizer)[^\n]*|runtime error:[^\n]*/g) ?? [];

const v = watched.summary;
const checks = {
  every_cycle_streamed: churned.code === 0 && churned.summary?.failed === 0 && churned.summary?.cycles === cycles,
  viewer_never_froze: !!v && v.viewers_streaming === 1 && v.totals.max_frame_gap_ms <= freezeMs,
  viewer_lost_nothing: !!v && v.totals.lost === 0 && v.totals.decrypt_failures === 0 && v.totals.malformed === 0,
  sessions_all_gone: status?.viewers.length === 0,
  descriptors_and_threads_back: memory.fd_thread_verdict === 'no growth',
  // null: not judged, for the reason in notJudged.  Under ASan, RSS is
  // mostly ASan's own (stack traces, metadata, quarantine) and the heap is
  // ASan's, which mallinfo2 does not see: LeakSanitizer's verdict at exit
  // stands for them, and an unsanitized run judges RSS and heap.
  rss_no_growth: sanitized || memory.rss_verdict === 'too few samples' ? null : memory.rss_verdict === 'no growth',
  heap_in_use_no_growth: sanitized || !Number.isFinite(memory.heap_in_use_second_half_slope_kb_per_min) ? null
    : memory.heap_in_use_second_half_slope_kb_per_min < NO_GROWTH_KB_PER_MIN,
  clean_exit: exitCode === 0,
  no_sanitizer_report: sanitizerReports.length === 0,
};
const notJudged = sanitized ? "under ASan, LeakSanitizer's verdict stands for it; an unsanitized run judges it"
  : 'the run is too short';
const result = {
  date: new Date().toISOString(), build, sanitized, cycles, parallel, seconds: Math.round(seconds),
  churn: churned.summary, viewer: v && { frames: v.totals.frames, lost: v.totals.lost,
    decrypt_failures: v.totals.decrypt_failures, max_frame_gap_ms: v.totals.max_frame_gap_ms,
    capture_to_receive_us: v.capture_to_receive_us },
  abuse, http_limits: status?.http_limits, memory, exit_code: exitCode,
  samples: samples.map((x) => ({ t_s: Math.round(x.t_s), rss_kb: x.rss_kb, heap_in_use_kb: x.heap_in_use_kb,
    heap_free_kb: x.heap_free_kb, fds: x.fds, threads: x.threads })),
  sanitizer_reports: sanitizerReports.slice(0, 10), checks,
};
mkdirSync(args.out, { recursive: true });
const name = sanitized ? 'latest-churn-asan' : 'latest-churn';
writeFileSync(path.join(args.out, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
const md = [
  `# Churn soak, ${result.date}`, '',
  `${cycles} WHEP join/leave cycles (${parallel} at a time) in ${result.seconds} s against one ` +
  `${sanitized ? 'ASan + UBSan + LSan' : 'unsanitized'} hdmirtc, with abusive clients: ${abuse.offers} offers ` +
  `that never do ICE (${abuse.offers_refused} refused), ${abuse.datagrams} garbage datagrams, ` +
  `${abuse.silent} silent and ${abuse.half_requests} half-sent HTTP connections.`, '',
  `- cycles: ${churned.summary?.streamed}/${churned.summary?.cycles} streamed, connect median ` +
  `${churned.summary?.connect_ms?.median} ms, p95 ${churned.summary?.connect_ms?.p95} ms; ` +
  `${churned.summary?.throttled} POSTs answered 429 (the per-address offer rate) and made again after Retry-After`,
  `- the watching viewer: ${v?.totals.frames} frames, longest gap ${v?.totals.max_frame_gap_ms} ms ` +
  `(a freeze: over ${freezeMs} ms), ${v?.totals.lost} lost, ${v?.totals.decrypt_failures} decrypt failures`,
  `- RSS ${memory.start_kb} -> ${memory.end_kb} kB (max ${memory.max_kb}), second-half slope ` +
  `${memory.second_half_slope_kb_per_min} kB/min; descriptors ${start.fds} -> ${end.fds}, threads ` +
  `${start.threads} -> ${end.threads}: ${memory.verdict}`,
  `- heap in use (mallinfo2, from /api/status): second-half slope ${memory.heap_in_use_second_half_slope_kb_per_min} ` +
  `kB/min; free space in the heap: ${memory.heap_free_second_half_slope_kb_per_min} kB/min`,
  `- exit ${exitCode}, sanitizer reports: ${sanitizerReports.length}`, '',
  ...Object.entries(checks).map(([k, ok]) => `- [${ok ? 'x' : ' '}] ${k.replaceAll('_', ' ')}${ok === null ? ` (not judged: ${notJudged})` : ''}`), '',
];
writeFileSync(path.join(args.out, `${name}.md`), md.join('\n'));
console.log(md.join('\n'));
if (Object.values(checks).some((ok) => ok === false)) {
  if (sanitizerReports.length) console.log(serviceLog.slice(-6000));
  if (!checks.every_cycle_streamed) console.log(churned.out);
  process.exit(1);
}
