// A viewer that vanishes without DELETE (a crashed tab, a dead network) is
// dropped once ICE consent freshness (RFC 7675) expires, about 30 s.
// bench/whep-load stands in for the browser: killed with SIGKILL it sends
// nothing more at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startService, getStatus, buildDir } from './lib/service.mjs';

test('a viewer that disappears without DELETE is dropped after consent expires', { timeout: 90000 }, async () => {
  const service = await startService(['--width', '320', '--height', '240']);
  const load = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', service.url).href,
    '--viewers', '1', '--duration', '600'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let viewer;
    for (let i = 0; i < 200 && !viewer; i++) {
      await new Promise((r) => setTimeout(r, 100));
      viewer = (await getStatus(service.url)).viewers.find((v) => v.state === 'streaming' && v.frames_sent > 0);
    }
    assert.ok(viewer, 'whep-load never streamed');
    load.kill('SIGKILL');
    const killedAt = Date.now();
    let viewers;
    do {
      await new Promise((r) => setTimeout(r, 500));
      viewers = (await getStatus(service.url)).viewers;
    } while (viewers.length > 0 && Date.now() - killedAt < 60000);
    const seconds = (Date.now() - killedAt) / 1000;
    console.log(`# viewer dropped ${seconds.toFixed(1)} s after it vanished`);
    assert.equal(viewers.length, 0, `still listed after ${seconds} s: ${JSON.stringify(viewers)}`);
    assert.match(await service.logMatching(/consent lost/), /consent lost/);
  } finally {
    load.kill('SIGKILL');
    assert.equal(await service.stop(), 0);
  }
});
