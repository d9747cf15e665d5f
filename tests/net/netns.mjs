// Network namespaces for the network tests (root only): a service
// namespace, a router namespace doing NAT and filtering, a browser
// namespace; veth pairs between them; nft rules; coturn, hdmirtc and
// chromium started inside them with `ip netns exec`.  Traffic never leaves
// these namespaces (no link to the host's own network).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateArgs, trustedNetworkArgs } from '../browser/lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const buildDir = process.env.HDMIRTC_BUILD_DIR || path.resolve(here, '../../build');
export const binary = path.join(buildDir, 'src', 'hdmirtc');
export const netemTun = path.join(buildDir, 'tests', 'net', 'netem-tun');

export function canRun() {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  for (const tool of ['ip', 'nft', 'tc', 'turnserver']) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch { return `needs ${tool}`; }
  }
  return null;
}

export function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function inNs(ns, cmd, ...args) {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

let counter = 0;

// Three namespaces: svc (service) -- router -- br (browser).
//   svc eth0 10.77.1.2/24, fd77:1::2/64   router lan0 10.77.1.1, fd77:1::1
//   router wan0 203.0.113.1/24, fd77:2::1  br eth0 203.0.113.2/24, fd77:2::2
// opts: { v4: true, v6: false, nat: 'masquerade' | 'none' | {public: ip},
//         browserFirewall: false, dropUdp: false }
export class Topology {
  constructor(opts = {}) {
    this.opts = { v4: true, v6: false, nat: 'masquerade', browserFirewall: false, dropUdp: false, ...opts };
    const id = `${process.pid % 10000}${counter++}`;
    this.svc = `hrt${id}s`;
    this.router = `hrt${id}r`;
    this.br = `hrt${id}b`;
    this.children = [];
    this.tmp = mkdtempSync(path.join(tmpdir(), 'hdmirtc-net-'));
  }

  up() {
    const { v4, v6 } = this.opts;
    for (const ns of [this.svc, this.router, this.br]) {
      sh('ip', ['netns', 'add', ns]);
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      // No duplicate address detection: addresses are usable at once and
      // do not change under chromium's feet (ERR_NETWORK_CHANGED).
      inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
    }
    sh('ip', ['-n', this.svc, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'lan0', 'netns', this.router]);
    sh('ip', ['-n', this.br, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wan0', 'netns', this.router]);
    const addr = (ns, dev, a) => sh('ip', ['-n', ns, 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
    if (v4) {
      addr(this.svc, 'eth0', '10.77.1.2/24');
      addr(this.router, 'lan0', '10.77.1.1/24');
      addr(this.router, 'wan0', '203.0.113.1/24');
      addr(this.br, 'eth0', '203.0.113.2/24');
    }
    if (v6) {
      addr(this.svc, 'eth0', 'fd77:1::2/64');
      addr(this.router, 'lan0', 'fd77:1::1/64');
      addr(this.router, 'wan0', 'fd77:2::1/64');
      addr(this.br, 'eth0', 'fd77:2::2/64');
    }
    for (const [ns, dev] of [[this.svc, 'eth0'], [this.router, 'lan0'], [this.router, 'wan0'], [this.br, 'eth0']])
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    if (v4) {
      sh('ip', ['-n', this.svc, 'route', 'add', 'default', 'via', '10.77.1.1']);
      inNs(this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      // A browser has a default route (chromium gathers on the interfaces
      // of the default route).  Behind a NAT, the private network is
      // unreachable from it: the router drops what it would forward there
      // unless conntrack knows it (NAT reply) or it is the HTTP port forward.
      sh('ip', ['-n', this.br, 'route', 'add', 'default', 'via', '203.0.113.1']);
    }
    if (v6) {
      sh('ip', ['-n', this.svc, '-6', 'route', 'add', 'default', 'via', 'fd77:1::1']);
      sh('ip', ['-n', this.br, '-6', 'route', 'add', 'default', 'via', 'fd77:2::1']);
      inNs(this.router, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
    }
    this.nft(this.router, this.routerRules());
    if (this.opts.browserFirewall) this.nft(this.br, this.browserRules());
    return this;
  }

  // A second link straight between the service and the browser, like a
  // VPN (Tailscale, WireGuard) beside the default route: a veth pair named
  // `name` on both sides, one /32 address each and a host route to the
  // other end (Tailscale's way: its 100.64.0.0/10 addresses are routed
  // over its interface, never the default route).
  addVpn({ name = 'tailscale0', svc = '100.100.1.1', br = '100.100.1.2' } = {}) {
    sh('ip', ['-n', this.svc, 'link', 'add', name, 'type', 'veth', 'peer', 'name', name, 'netns', this.br]);
    for (const [ns, mine, other] of [[this.svc, svc, br], [this.br, br, svc]]) {
      sh('ip', ['-n', ns, 'addr', 'add', `${mine}/32`, 'dev', name]);
      sh('ip', ['-n', ns, 'link', 'set', name, 'up']);
      sh('ip', ['-n', ns, 'route', 'add', `${other}/32`, 'dev', name]);
    }
    return { svc, br };
  }

  routerRules() {
    const { nat, dropUdp } = this.opts;
    let rules = `table inet filter {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ${dropUdp ? 'meta l4proto udp drop' : ''}
    ${nat === 'none' ? '' : 'iifname "wan0" ct state new ct status & dnat != dnat drop'}
  }
}
`;
    if (nat === 'masquerade') {
      rules += `table ip nat {
  chain pre { type nat hook prerouting priority dstnat; iifname "wan0" tcp dport 8080 dnat to 10.77.1.2; }
  chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
`;
    } else if (nat?.public) {
      sh('ip', ['-n', this.router, 'addr', 'add', `${nat.public}/24`, 'dev', 'wan0']);
      rules += `table ip nat {
  chain pre { type nat hook prerouting priority dstnat; ip daddr ${nat.public} dnat to 10.77.1.2; }
  chain post { type nat hook postrouting priority srcnat; ip saddr 10.77.1.2 oifname "wan0" snat to ${nat.public}; }
}
`;
    }
    return rules;
  }

  // A home router's firewall in front of the browser: nothing comes in
  // that the browser did not start (but its own coturn may be reached).
  browserRules() {
    return `table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iifname "lo" accept
    ct state established,related accept
    tcp dport { 3478, 5349 } accept
    udp dport 3478 accept
    meta l4proto ipv6-icmp accept
  }
}
`;
  }

  nft(ns, rules) {
    const file = path.join(this.tmp, `${ns}.nft`);
    writeFileSync(file, rules);
    inNs(ns, 'nft', '-f', file);
  }

  // Counts, in the router, the TCP segments towards `port` by their first
  // payload byte: 0x16 opens a TLS record of type handshake (ClientHello),
  // 0x00/0x01 opens a plaintext STUN message (RFC 5389 type, top bits 0).
  // Read with tcpFirstBytes().
  watchTcpFirstByte(port) {
    this.nft(this.router, `table inet probe {
  counter tls_handshake {}
  counter stun_plain {}
  chain forward {
    type filter hook forward priority -20; policy accept;
    tcp dport ${port} @ih,0,8 0x16 counter name "tls_handshake"
    tcp dport ${port} @ih,0,8 { 0x00, 0x01 } counter name "stun_plain"
  }
}
`);
  }

  tcpFirstBytes() {
    const out = {};
    for (const name of ['tls_handshake', 'stun_plain']) {
      const json = JSON.parse(inNs(this.router, 'nft', '-j', 'list', 'counter', 'inet', 'probe', name));
      out[name] = json.nftables.find((o) => o.counter)?.counter.packets ?? 0;
    }
    return out;
  }

  // Loss and delay on the service's uplink (egress only), e.g.
  // 'loss 10% delay 100ms'.  Resolves true when the delay is really there:
  // tc netem if the kernel has it; else netem-tun, a userspace netem fed
  // by a TAP device (kernels built without sch_netem, like the test
  // machines); else (netem-tun not built) only the loss, by an nft rule
  // in the router, and false.
  async impair(spec) {
    try {
      sh('ip', ['netns', 'exec', this.svc, 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', ...spec.split(' ')]);
      return true;
    } catch { /* no sch_netem */ }
    const { lossPct, delayMs, jitterMs } = parseImpairment(spec);
    if (existsSync(netemTun)) {
      await this.startNetemTun({ lossPct, delayMs, jitterMs });
      return true;
    }
    this.nft(this.router, `table inet impair {
  chain forward { type filter hook forward priority -10; meta l4proto udp numgen random mod 100 < ${Math.round(lossPct)} drop; }
}
`);
    return false;
  }

  // Everything leaving the service's eth0 is redirected (tc clsact egress,
  // mirred) into the TAP device dly0, where netem-tun delays and drops it
  // and sends the rest out of eth0 past that hook.  Not policy routing:
  // libnice pins its sockets to eth0 (IP_UNICAST_IF), which no rule
  // overrides.  Routes are untouched (the service watches them).
  async startNetemTun({ lossPct, delayMs, jitterMs = 0, seed }) {
    // Created here rather than by netem-tun, to turn off its IPv6
    // link-local address first: nothing of its own to send, no address
    // event for the service.
    sh('ip', ['-n', this.svc, 'tuntap', 'add', 'dev', 'dly0', 'mode', 'tap']);
    sh('ip', ['-n', this.svc, 'link', 'set', 'dly0', 'addrgenmode', 'none']);
    sh('ip', ['-n', this.svc, 'link', 'set', 'dly0', 'up']);
    const args = ['--tap', 'dly0', '--dev', 'eth0', '--delay-ms', String(delayMs),
      '--loss-pct', String(lossPct), '--jitter-ms', String(jitterMs)];
    if (seed !== undefined) args.push('--seed', String(seed));
    const entry = this.spawnIn(this.svc, netemTun, args, { label: 'netem-tun' });
    await waitUntil(() => /^ready$/m.test(entry.log) || entry.child.exitCode !== null, 5000,
      `netem-tun did not start:\n${entry.log}`);
    if (entry.child.exitCode !== null) throw new Error(`netem-tun exited ${entry.child.exitCode}:\n${entry.log}`);
    this.netemTun = entry;
    inNs(this.svc, 'tc', 'qdisc', 'add', 'dev', 'eth0', 'clsact');
    inNs(this.svc, 'tc', 'filter', 'add', 'dev', 'eth0', 'egress', 'protocol', 'all',
      'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', 'dly0');
    return entry;
  }

  // Ends netem-tun's impairment (the redirect first, so frames go straight
  // out of eth0 again, then SIGTERM) and resolves with its summary
  // { received, lost, sent, overflow, send_errors, foreign, ... }, or null
  // when it is not running.  Called by down() too.
  async impairSummary() {
    const entry = this.netemTun;
    if (!entry) return null;
    this.netemTun = null;
    try { inNs(this.svc, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'clsact'); } catch { /* gone */ }
    if (entry.child.exitCode === null && entry.child.signalCode === null) {
      const exited = new Promise((r) => entry.child.once('exit', r));
      entry.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    try { sh('ip', ['-n', this.svc, 'link', 'del', 'dly0']); } catch { /* gone */ }
    const line = entry.log.split('\n').reverse().find((l) => l.startsWith('{'));
    return line ? JSON.parse(line) : null;
  }

  spawnIn(ns, cmd, args, { label = cmd } = {}) {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const entry = { child, log: '', label };
    const onData = (d) => { entry.log += d.toString(); if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(`[${label}] ${d}`); };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    this.children.push(entry);
    return entry;
  }

  // coturn in the browser namespace; stunOnly, or TURN with user u / p
  // (or, with secret, the TURN REST API's time-limited credentials).
  // tls: also TLS on 5349 with a self-signed certificate for ip and
  // turn.test, whose PEM is this.turnCert.
  // verbose: coturn logs each session (connect, allocation, close).
  async startCoturn({ stunOnly = false, tls = false, verbose = false, secret = null, ip = '203.0.113.2' } = {}) {
    const args = ['-n', `--listening-ip=${ip}`, '--listening-port=3478', `--relay-ip=${ip}`,
      '--no-cli', '--no-dtls', '--log-file=stdout', '--simple-log', '--no-stdout-log',
      '--min-port=40000', '--max-port=40100'];
    if (verbose) args.push('--verbose');
    if (stunOnly) args.push('--stun-only', '--no-tls');
    else if (secret) args.push('--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=hdmirtc.test', '--fingerprint');
    else args.push('--lt-cred-mech', '--user=u:p', '--realm=hdmirtc.test', '--fingerprint');
    if (!stunOnly && tls) {
      const cert = path.join(this.tmp, 'turn.pem'), key = path.join(this.tmp, 'turn.key');
      sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=turn.test',
        '-addext', `subjectAltName=IP:${ip},DNS:turn.test`]);
      this.turnCert = cert;
      args.push('--tls-listening-port=5349', `--cert=${cert}`, `--pkey=${key}`);
    } else if (!stunOnly) {
      args.push('--no-tls');
    }
    const entry = this.spawnIn(this.br, 'turnserver', args, { label: 'coturn' });
    await waitUntil(() => {
      try { return inNs(this.br, 'ss', '-lnu').includes(`${ip}:3478`); } catch { return false; }
    }, 5000, `coturn did not start:\n${entry.log}`);
    this.coturn = entry;
    return entry;
  }

  stopCoturn() {
    if (this.coturn && this.coturn.child.exitCode === null) this.coturn.child.kill('SIGTERM');
    this.coturn = null;
  }

  // hdmirtc in the service namespace; resolves with the URL it prints.
  async startService(args, { urlHost } = {}) {
    const stateDir = path.join(this.tmp, 'state');
    const entry = this.spawnIn(this.svc, binary, ['--config', '/dev/null', '--http-port', '8080',
      ...stateArgs(stateDir), ...trustedNetworkArgs(args),
      '--width', '640', '--height', '360', ...args],
    { label: 'hdmirtc' });
    await waitUntil(() => /open http:\/\//.test(entry.log) || entry.child.exitCode !== null, 15000,
      `hdmirtc printed no URL:\n${entry.log}`);
    if (entry.child.exitCode !== null) throw new Error(`hdmirtc exited ${entry.child.exitCode}:\n${entry.log}`);
    this.service = entry;
    // Through the router's port forward (NAT) or straight (no NAT).
    const host = urlHost || (!this.opts.v4 ? '[fd77:1::2]' : this.opts.nat === 'masquerade' ? '203.0.113.1'
      : this.opts.nat?.public || '10.77.1.2');
    return { url: `http://${host}:8080/`, log: () => entry.log, child: entry.child };
  }

  // GET /api/status from inside the service namespace.
  status() {
    const host = this.opts.v4 ? '127.0.0.1' : '[::1]';
    const out = inNs(this.svc, process.execPath, '-e',
      `fetch('http://${host}:8080/api/status').then(r => r.text()).then(t => process.stdout.write(t))`);
    return JSON.parse(out);
  }

  // A wrapper that starts chromium inside namespace ns (the browser's by
  // default); the DevTools pipe is inherited, so playwright drives it as usual.
  chromiumWrapper(ns = this.br) {
    const file = path.join(this.tmp, `chromium-in-${ns}`);
    const real = process.env.CHROMIUM_REAL || process.env.CHROMIUM || '/usr/bin/chromium';
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${ns} ${real} "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  async down() {
    await this.impairSummary().catch(() => {});
    for (const { child } of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    }
    for (const ns of [this.svc, this.router, this.br]) {
      try { sh('ip', ['netns', 'del', ns]); } catch { /* not created */ }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

// tc netem's words for what netem-tun does: 'loss 10% delay 100ms [10ms]'
// (the second time is the jitter).
export function parseImpairment(spec) {
  const loss = spec.match(/\bloss (?:random )?(\d+(?:\.\d+)?)%/);
  const delay = spec.match(/\bdelay (\d+(?:\.\d+)?)(us|ms|s)(?: (\d+(?:\.\d+)?)(us|ms|s))?/);
  const ms = (v, unit) => Number(v) * { us: 0.001, ms: 1, s: 1000 }[unit];
  return {
    lossPct: loss ? Number(loss[1]) : 0,
    delayMs: delay ? ms(delay[1], delay[2]) : 0,
    jitterMs: delay?.[3] ? ms(delay[3], delay[4]) : 0,
  };
}

export async function waitUntil(predicate, timeoutMs, message) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(message || 'timed out');
}
