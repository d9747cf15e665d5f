// Private Janus instances for the tests that feed a Janus SFU (root only):
// Janus (Debian's package) started inside a network namespace of a
// Topology (./netns.mjs) with a config folder of its own in topo.tmp, and
// a few REST calls made with curl from inside that namespace.
//
// Janus never gathers ICE candidates on loopback, so it must run in a
// namespace the test creates, with nat.ice_enforce_list naming that
// namespace's interface: it then never binds the host's interfaces.  Only
// the Streaming plugin and the HTTP transport are loaded (private plugin
// and transport folders holding symlinks to just those two); no STUN, no
// admin API, no sample mountpoints.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from './netns.mjs';

const execFileP = promisify(execFile);

// Where Debian puts the plugins: /usr/lib/<triplet>/janus.
export function janusLibDir() {
  for (const base of ['/usr/lib', '/usr/local/lib']) {
    let entries = [];
    try { entries = readdirSync(base); } catch { continue; }
    for (const dir of [path.join(base, 'janus'), ...entries.map((e) => path.join(base, e, 'janus'))]) {
      if (existsSync(path.join(dir, 'plugins', 'libjanus_streaming.so'))
        && existsSync(path.join(dir, 'transports', 'libjanus_http.so'))) return dir;
    }
  }
  return null;
}

// null when Janus can run here, else why not.
export function janusMissing() {
  try { execFileSync('sh', ['-c', 'command -v janus && command -v curl'], { stdio: 'ignore' }); } catch {
    return 'needs janus and curl (scripts/setup.sh installs them)';
  }
  if (!janusLibDir()) return 'needs the Janus streaming plugin and HTTP transport';
  return null;
}

const jstr = (v) => JSON.stringify(String(v));

// Janus in namespace ns of topo.  Options:
//   httpAddress  the HTTP API's address (default 10.77.1.2, the service
//                namespace's), httpPort (8088)
//   iface        the one interface ICE may use (default eth0)
//   rtpRange     'A-B', the ports of the viewers' PeerConnections
//                (default 20000 + 1000 * (httpPort - 8088), 200 ports)
//   streamingRange 'A-B', the Streaming plugin's ports for mountpoints
//                created with port 0 (default: 500 above rtpRange's start)
//   adminKey     the Streaming plugin's admin_key (every create needs it)
//   name         label and config folder name (default janus-PORT)
//   debugLevel   Janus's log level (default 4, info)
// Resolves, once the HTTP API answers, with { url, stop(), restart(),
// log, child, config }; throws with Janus's log when it does not come up.
export async function startJanus(topo, ns, {
  httpAddress = '10.77.1.2', httpPort = 8088, iface = 'eth0', rtpRange, streamingRange,
  adminKey, name, debugLevel = 4,
} = {}) {
  const base = 20000 + 1000 * Math.max(0, httpPort - 8088);
  rtpRange ||= `${base}-${base + 199}`;
  streamingRange ||= `${Number(rtpRange.split('-')[0]) + 500}-${Number(rtpRange.split('-')[0]) + 699}`;
  name ||= `janus-${httpPort}`;
  const libDir = janusLibDir();
  if (!libDir) throw new Error('Janus plugins not found');

  const dir = path.join(topo.tmp, name);
  const conf = path.join(dir, 'conf');
  const plugins = path.join(dir, 'plugins');
  const transports = path.join(dir, 'transports');
  const empty = path.join(dir, 'empty');
  for (const d of [conf, plugins, transports, empty]) mkdirSync(d, { recursive: true });
  // Janus loads every *.so in these folders: only the two we want.
  symlinkSync(path.join(libDir, 'plugins', 'libjanus_streaming.so'), path.join(plugins, 'libjanus_streaming.so'));
  symlinkSync(path.join(libDir, 'transports', 'libjanus_http.so'), path.join(transports, 'libjanus_http.so'));

  writeFileSync(path.join(conf, 'janus.jcfg'), `general: {
  configs_folder = ${jstr(conf)}
  plugins_folder = ${jstr(plugins)}
  transports_folder = ${jstr(transports)}
  events_folder = ${jstr(empty)}
  loggers_folder = ${jstr(empty)}
  debug_level = ${debugLevel}
  session_timeout = 60
  server_name = ${jstr(name)}
}
certificates: {
}
media: {
  ipv6 = false
  rtp_port_range = ${jstr(rtpRange)}
}
nat: {
  ice_enforce_list = ${jstr(iface)}
  ignore_mdns = true
  full_trickle = false
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
  broadcast = false
}
`);
  // No mountpoints here: the service creates its own (the sample config's
  // would bind ports on every address).
  writeFileSync(path.join(conf, 'janus.plugin.streaming.jcfg'), `general: {
${adminKey ? `  admin_key = ${jstr(adminKey)}\n` : ''}  rtp_port_range = ${jstr(streamingRange)}
  events = false
}
`);
  writeFileSync(path.join(conf, 'janus.transport.http.jcfg'), `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = ${jstr(httpAddress)}
  https = false
}
admin: {
  admin_base_path = "/admin"
  admin_http = false
  admin_https = false
}
cors: {
  allow_origin = "*"
}
`);

  const url = `http://${httpAddress.includes(':') ? `[${httpAddress}]` : httpAddress}:${httpPort}/janus`;
  const args = ['-F', conf, '--log-stdout', '--disable-colors', `--debug-level=${debugLevel}`];
  const logs = [];
  const janus = {
    url, name, ns, config: { dir, httpAddress, httpPort, iface, rtpRange, streamingRange, adminKey },
    entry: null,
    get child() { return this.entry.child; },
    // Everything every run of this instance printed.
    get log() { return logs.map((e) => e.log).join('\n----- restarted -----\n'); },
    async start() {
      const entry = topo.spawnIn(ns, 'janus', args, { label: name });
      this.entry = entry;
      logs.push(entry);
      try {
        await waitUntil(async () => {
          if (entry.child.exitCode !== null || entry.child.signalCode !== null) return true;
          const info = await janusRequest(topo, ns, url, { janus: 'info' }).catch(() => null);
          return info?.janus === 'server_info';
        }, 20000, 'no answer on the HTTP API');
      } catch (e) {
        throw new Error(`${name} did not come up (${e.message}):\n${this.log.slice(-4000)}`);
      }
      if (entry.child.exitCode !== null || entry.child.signalCode !== null)
        throw new Error(`${name} exited (${entry.child.exitCode ?? entry.child.signalCode}):\n${this.log.slice(-4000)}`);
      return this;
    },
    // SIGTERM, then SIGKILL after 5 s; resolves once it has exited.
    async stop() {
      const { child } = this.entry;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    // Killed at once, as a crash would (no clean teardown of sessions).
    async kill() {
      const { child } = this.entry;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    // stop() and start() again: same config, same ports.
    async restart() {
      await this.stop();
      return this.start();
    },
  };
  return janus.start();
}

// POST body (an object; a transaction is added when it has none) to url
// with curl inside namespace ns; resolves with the parsed reply.
export async function janusRequest(topo, ns, url, body) {
  const msg = { transaction: Math.random().toString(36).slice(2, 12), ...body };
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '10',
    '-X', 'POST', '-H', 'Content-Type: application/json', '-d', JSON.stringify(msg), url],
  { encoding: 'utf8' });
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`Janus at ${url} answered no JSON: ${JSON.stringify(stdout.slice(0, 300))}`);
  }
}

// One synchronous request to the Streaming plugin in a session of its own
// (create, attach, message, destroy); resolves with plugindata.data, or
// with { error_code, error } when Janus itself refused.
export async function streamingRequest(topo, ns, url, body) {
  const session = await janusRequest(topo, ns, url, { janus: 'create' });
  if (session.janus !== 'success') return session.error || { error: JSON.stringify(session) };
  const sid = session.data.id;
  try {
    const handle = await janusRequest(topo, ns, `${url}/${sid}`, { janus: 'attach', plugin: 'janus.plugin.streaming' });
    if (handle.janus !== 'success') return handle.error || { error: JSON.stringify(handle) };
    const reply = await janusRequest(topo, ns, `${url}/${sid}/${handle.data.id}`, { janus: 'message', body });
    if (reply.janus !== 'success') return reply.error || { error: JSON.stringify(reply) };
    return reply.plugindata.data;
  } finally {
    await janusRequest(topo, ns, `${url}/${sid}`, { janus: 'destroy' }).catch(() => {});
  }
}

// The mountpoint's info (id, media[] with port, rtcpport, codec, age_ms...)
// or, when there is none or the secret is wrong, { error_code, error }.
export async function mountpointInfo(topo, ns, url, id, secret) {
  const body = { request: 'info', id, ...(secret ? { secret } : {}) };
  const data = await streamingRequest(topo, ns, url, body);
  return data.info || { error_code: data.error_code, error: data.error };
}

// The mountpoints Janus lists (the Streaming plugin's 'list').
export async function mountpointList(topo, ns, url) {
  const data = await streamingRequest(topo, ns, url, { request: 'list' });
  return data.list || { error_code: data.error_code, error: data.error };
}
