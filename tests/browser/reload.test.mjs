// SIGHUP reads the configuration file again (src/service/config-reload.c):
// the bitrate, the EDID, the token and the log level change under a viewer
// that keeps playing; an option that needs a restart is named in the log
// and the status and changes nothing; a file that no longer reads changes
// nothing at all.  bench/whep-load is the viewer: it checks every packet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, buildDir } from './lib/service.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function config({ bitrate, token, level = 'message', udpMax = 20000, edid = '' }) {
  return `[http]\ntoken=${token}\n[source]\nedid=${edid}\n[encoder]\nbitrate=${bitrate}\n` +
    `[webrtc]\nudp-port-max=${udpMax}\n[log]\nlevel=${level}\n`;
}

async function api(url, route, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return fetch(new URL(route, url), { headers });
}

async function statusWith(url, token) {
  const res = await api(url, 'api/status', token);
  assert.equal(res.status, 200, `status with the token: HTTP ${res.status}`);
  return res.json();
}

async function waitFor(what, check, ms = 10000) {
  for (let t = 0; t < ms; t += 100) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`never: ${what}`);
}

test('SIGHUP applies bitrate, EDID, token and log level under a viewer; the rest waits for a restart',
  { timeout: 90000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hdmirtc-reload-'));
    const file = path.join(dir, 'hdmirtc.conf');
    // An EDID file the service itself made: the built-in one with another
    // product code (bytes 10-11) and block 0's checksum fixed.
    writeFileSync(file, config({ bitrate: 4000, token: 'first-token-1234' }));
    // The token comes from the file: no --open-access from the helper.
    const service = await startService(['--config', file, '--width', '640', '--height', '360', '--open-access=false']);
    const load = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', service.url).href,
      '--token', 'first-token-1234', '--duration', '12', '--connect-timeout', '30'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    load.stdout.on('data', (d) => { out += d; });
    load.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => load.on('exit', resolve));
    try {
      await waitFor('the viewer streams', async () =>
        (await statusWith(service.url, 'first-token-1234')).viewers.some((v) => v.state === 'streaming'), 30000);
      let status = await statusWith(service.url, 'first-token-1234');
      assert.equal(status.encoder.bitrate_kbps, 4000);
      assert.deepEqual(status.config, { reloads: 0, reload_failures: 0, waiting_for_restart: [] });
      const edid = (await (await api(service.url, 'api/edid', 'first-token-1234')).json()).hex;
      const bytes = Buffer.from(edid, 'hex');
      bytes[10] = 0x34; bytes[11] = 0x12;
      let sum = 0;
      for (let i = 0; i < 127; i++) sum += bytes[i];
      bytes[127] = (256 - (sum % 256)) % 256;
      const edidFile = path.join(dir, 'edid.bin');
      writeFileSync(edidFile, bytes);

      writeFileSync(file, config({ bitrate: 1500, token: 'second-token-5678', level: 'info', udpMax: 19000,
        edid: edidFile }));
      service.child.kill('SIGHUP');
      await waitFor('the new token works', async () =>
        (await api(service.url, 'api/status', 'second-token-5678')).status === 200);
      assert.equal((await api(service.url, 'api/status', 'first-token-1234')).status, 401, 'the old token still works');
      assert.equal((await api(service.url, 'api/status')).status, 401);
      // The encoder takes a new bitrate with its next frame.
      await waitFor('the new bitrate is applied', async () =>
        (await statusWith(service.url, 'second-token-5678')).encoder.bitrate_kbps === 1500);
      status = await statusWith(service.url, 'second-token-5678');
      assert.deepEqual(status.config, { reloads: 1, reload_failures: 0, waiting_for_restart: ['webrtc.udp-port-max'] });
      const now = (await (await api(service.url, 'api/edid', 'second-token-5678')).json()).hex;
      assert.equal(now, bytes.toString('hex'), 'the configured EDID was not loaded');
      for (const line of [/reload: \[encoder\] bitrate is now 1500/,
        /reload: \[webrtc\] udp-port-max changed: it takes effect at the next start/,
        /reload: \[http\] token is now \(the new one\)/, /reload: \[log\] level is now info/])
        assert.match(await service.logMatching(line), line);
      assert.ok(!service.log().includes('second-token-5678'), 'the token is in the log');

      // A file that no longer reads: nothing changes.
      writeFileSync(file, '[encoder]\nbitrate=lots\n');
      service.child.kill('SIGHUP');
      await waitFor('the failed reload is counted', async () =>
        (await statusWith(service.url, 'second-token-5678')).config.reload_failures === 1);
      status = await statusWith(service.url, 'second-token-5678');
      assert.equal(status.encoder.bitrate_kbps, 1500);
      assert.equal(status.config.reloads, 2);
      const unchanged = /reload: .*bitrate.*: nothing changed/;
      assert.match(await service.logMatching(unchanged), unchanged);

      assert.equal(await exited, 0, out);
      const summary = JSON.parse(out.trim().split('\n').pop());
      assert.equal(summary.viewers_streaming, 1, out);
      for (const k of ['decrypt_failures', 'replayed', 'malformed', 'lost']) assert.equal(summary.totals[k], 0, out);
      // 12 s at 30 fps, with the reloads in the middle: no stall.
      assert.ok(summary.totals.frames >= 300, `${summary.totals.frames} frames`);
    } finally {
      load.kill('SIGKILL');
      assert.equal(await service.stop(), 0, service.log().slice(-3000));
      rmSync(dir, { recursive: true, force: true });
    }
  });
