// Starts the hdmirtc binary for a test on loopback only, with STUN off, and
// finds the URL it prints.
//
// Tests of other things than access run it as on a trusted network: plain
// HTTP (--no-tls) and, unless they give a --token, no token
// (--open-access).  { secure: true } keeps the defaults: HTTPS with the
// certificate it makes, and the token it makes (returned as token, the
// certificate file as certFile).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const buildDir = process.env.HDMIRTC_BUILD_DIR || path.resolve(here, '../../../build');
export const binary = path.join(buildDir, 'src', 'hdmirtc');

// wrap: a command to run the service under, e.g. ['ip', 'netns', 'exec', NS].
export function trustedNetworkArgs(extraArgs) {
  const own = (flag) => extraArgs.some((a) => a === flag || a.startsWith(`${flag}=`));
  return [...(own('--tls') || own('--no-tls') ? [] : ['--no-tls']),
    ...(own('--token') || own('--open-access') ? [] : ['--open-access'])];
}

export function stateArgs(stateDir) {
  return ['--certificate', path.join(stateDir, 'dtls.pem'),
    '--edid-store', path.join(stateDir, 'edid-uploaded.bin'),
    '--tls-certificate', path.join(stateDir, 'https.pem'),
    '--token-file', path.join(stateDir, 'http-token')];
}

// The URL the service prints, and the token in its fragment if any.
export const URL_LINE = /open (https?:\/\/127\.0\.0\.1:\d+\/)(?:#token=(\S+))?/;

// ready: a check of the log for a service that prints no URL (a Unix
// socket); url is then undefined.
export async function startService(extraArgs = [], { timeoutMs = 15000, wrap = [], secure = false, ready } = {}) {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-test-'));
  const args = [
    '--config', '/dev/null', '--http-address', '127.0.0.1', '--http-port', '0',
    '--no-stun', '--interfaces', 'lo', ...stateArgs(stateDir),
    ...(secure ? [] : trustedNetworkArgs(extraArgs)),
    ...extraArgs,
  ];
  const [command, ...prefix] = [...wrap, binary];
  const child = spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = (d) => { log += d.toString(); if (process.env.HDMIRTC_TEST_VERBOSE) process.stderr.write(d); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [url, token] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service printed no URL in ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const look = () => {
      const m = log.match(URL_LINE);
      if (m) { clearTimeout(timer); resolve([m[1], m[2]]); }
      if (ready && ready(log)) { clearTimeout(timer); resolve([undefined, undefined]); }
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`service exited with ${code}:\n${log}`)); });
  });
  return {
    url,
    token,
    certFile: path.join(stateDir, 'https.pem'),
    child,
    log: () => log,
    // The log once it matches re (or as it is after timeoutMs): a line the
    // service wrote before answering a request can still sit in the pipe
    // when the answer has arrived on its socket.
    async logMatching(re, timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while (!re.test(log) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return log;
    },
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

// Stops the service and fails on a non-zero exit or any sanitizer report
// (under ASan they are written at exit).
export async function stopClean(service) {
  const code = await service.stop();
  const log = service.log();
  assert.doesNotMatch(log, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/, log.slice(-4000));
  assert.equal(code, 0, `service exit code ${code}\n${log.slice(-4000)}`);
}

export async function getStatus(url) {
  const res = await fetch(new URL('api/status', url));
  if (!res.ok) throw new Error(`status: HTTP ${res.status}`);
  return res.json();
}
