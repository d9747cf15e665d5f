// The hdmirtc binary's command line: --help documents every option, bad
// configuration exits with status 2 and names the option and the reason,
// and a port already in use is a clear start-up error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { binary, startService } from './lib/service.mjs';

function run(args) {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 20000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('--help lists the options', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--config', '--http-port', '--bitrate', '--keyframe-interval', '--udp-ports',
    '--stun-server', '--max-viewers', '--width', '--fps', '--certificate']) {
    assert.ok(r.out.includes(flag), `--help does not mention ${flag}`);
  }
});

test('a bad flag value exits 2 naming the option and why', () => {
  const r = run(['--config', '', '--width', 'wide']);
  assert.equal(r.code, 2);
  assert.match(r.out, /--width/);
  assert.match(r.out, /wide/);
});

test('a bad config file value exits 2 naming file, key and why', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-cli-'));
  const file = path.join(dir, 'bad.conf');
  writeFileSync(file, '[encoder]\nbitrate=lots\n');
  const r = run(['--config', file]);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 2);
  assert.ok(r.out.includes(file), r.out);
  assert.match(r.out, /bitrate/);
});

test('a busy HTTP port is a start-up error, not a crash', async () => {
  const first = await startService();
  const port = new URL(first.url).port;
  try {
    const r = run(['--config', '', '--http-address', '127.0.0.1', '--http-port', port, '--no-stun',
      '--interfaces', 'lo', '--no-tls', '--open-access',
      '--certificate', path.join(tmpdir(), `hdmirtc-cli-${process.pid}.pem`)]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, new RegExp(`cannot start:.*${port}`));
  } finally {
    rmSync(path.join(tmpdir(), `hdmirtc-cli-${process.pid}.pem`), { force: true });
    await first.stop();
  }
});
