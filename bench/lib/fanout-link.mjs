// SPDX-License-Identifier: GPL-3.0-or-later
// The fan-out behind a network device: the CPU part's service and
// whep-load viewers (bench/lib/cpu.mjs), but the viewers in another network
// namespace and every packet the service sends queued at a device, a TAP
// that tests/net/netem-tun reads and forwards 10 ms later, as a NIC's
// transmit ring takes it and a network carries it.
//
// Why beside the CPU part: on loopback the kernel delivers each datagram
// into the receiver's socket inside the sender's sendmmsg, so the service's
// "last send" there includes its 64 receivers' kernel path (segmenting,
// queueing, waking them).  Here the sender's call ends at the device's
// queue, and the sender segments its UDP GSO batches in software itself
// (the TAP takes no offloads, like a Pi's GENET).  netem-tun takes each
// packet off the TAP at once (on the other core, during the fan-out); the
// forwarding and the receivers run 10 ms later, between frames, on the same
// cores.  Reported beside the loopback figures, never instead of them: on
// the development machine this path costs the sender more, not less.
import { existsSync } from 'node:fs';
import { Topology, canRun, inNs, netemTun } from '../../tests/net/netns.mjs';
import { measureRounds, settle, summarizeCpu } from './cpu.mjs';

// tests/net/netns.mjs's addresses with nat 'none': the service's eth0 and
// the browser namespace's, routed through its router namespace.
const SERVICE_ADDRESS = '10.77.1.2';
const VIEWER_ADDRESS = '203.0.113.2';
const TAP_QUEUE = 4096;

export function fanoutLinkMissing() {
  return canRun() ?? (existsSync(netemTun) ? null : `${netemTun} is not built`);
}

export async function measureFanoutLink({ whepLoad, width, height, fps, counts, rounds, warmupS, windowS, ncpu, log,
  delayMs = 10, background = () => [] }) {
  const label = 'fan-out behind a device: ';
  const missing = fanoutLinkMissing();
  if (missing) {
    log(`${label}skipped: ${missing}`);
    return { skipped: missing };
  }
  const topo = new Topology({ nat: 'none' }).up();
  try {
    await topo.startNetemTun({ lossPct: 0, delayMs });
    // A TAP's queue holds 500 packets and drops the rest; a 64-viewer
    // frame is ~900 at once, which a NIC's ring and qdisc would hold.
    inNs(topo.svc, 'ip', 'link', 'set', 'dly0', 'txqueuelen', String(TAP_QUEUE));
    const room = String(Math.max(...counts) + 8);
    const started = await topo.startService(['--no-stun', '--no-ipv6', '--width', String(width),
      '--height', String(height), '--fps', String(fps), '--max-viewers', room, '--max-viewers-per-address', room]);
    const service = { url: started.url, child: started.child, status: async () => topo.status() };
    await settle(ncpu, log, label);
    const runs = await measureRounds(service, whepLoad, counts, rounds, { warmupS, windowS, ncpu, background, log,
      label, loadWrap: ['ip', 'netns', 'exec', topo.br],
      loadArgs: ['--local-address', VIEWER_ADDRESS, '--peer-address', SERVICE_ADDRESS] });
    // What the "network" did: every packet forwarded, none dropped for room.
    const tap = JSON.parse(inNs(topo.svc, 'ip', '-j', '-s', 'link', 'show', 'dly0'))[0]?.stats64?.tx;
    const link = { ...await topo.impairSummary(), tap_queue: TAP_QUEUE, tap_dropped: tap?.dropped ?? null };
    return { width, height, fps, delay_ms: delayMs, warmup_s: warmupS, window_s: windowS, runs, link,
      ...summarizeCpu(runs, counts) };
  } finally {
    await topo.down();
  }
}
