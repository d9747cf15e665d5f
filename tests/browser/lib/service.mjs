// Starts the hdmirtc binary for a test on loopback only, with STUN off, and
// finds the URL it prints.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const buildDir = process.env.HDMIRTC_BUILD_DIR || path.resolve(here, '../../../build');
export const binary = path.join(buildDir, 'src', 'hdmirtc');

// wrap: a command to run the service under, e.g. ['ip', 'netns', 'exec', NS].
export async function startService(extraArgs = [], { timeoutMs = 15000, wrap = [] } = {}) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-test-'));
  const args = [
    '--config', '/dev/null', '--http-address', '127.0.0.1', '--http-port', '0',
    '--no-stun', '--interfaces', 'lo', '--certificate', path.join(stateDir, 'dtls.pem'),
    '--edid-store', path.join(stateDir, 'edid-uploaded.bin'),
    ...extraArgs,
  ];
  const [command, ...prefix] = [...wrap, binary];
  const child = spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d) => { log += d.toString(); if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service printed no URL in ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const look = () => {
      const m = log.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`service exited with ${code}:\n${log}`)); });
  });
  return {
    url,
    child,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(stateDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

export async function getStatus(url) {
  const res = await fetch(new URL('api/status', url));
  if (!res.ok) throw new Error(`status: HTTP ${res.status}`);
  return res.json();
}
