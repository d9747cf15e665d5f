// Many viewers at once: the network thread shares each frame's viewers with
// the send workers (src/webrtc/send-workers.c) from 4 viewers on, when the
// machine has a second core.  bench/whep-load opens the viewers; each one
// decrypts and checks every packet, so a packet protected with another
// viewer's keys, sent twice, lost or out of order shows in its counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startService, getStatus, buildDir } from './lib/service.mjs';

const VIEWERS = 12;

test(`${VIEWERS} viewers get every packet of every frame, whole and in order`, { timeout: 90000 }, async () => {
  const service = await startService(['--width', '640', '--height', '360', '--max-viewers', '16',
    '--max-viewers-per-address', '16']);
  const load = spawn(path.join(buildDir, 'bench', 'whep-load'), ['--url', new URL('whep', service.url).href,
    '--viewers', String(VIEWERS), '--duration', '5', '--connect-timeout', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  load.stdout.on('data', (d) => { out += d; });
  load.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => load.on('exit', resolve));
  try {
    let spreading = null;
    for (let i = 0; i < 300 && !spreading; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const status = await getStatus(service.url);
      if (status.viewers.filter((v) => v.state === 'streaming').length === VIEWERS) spreading = status;
    }
    assert.ok(spreading, `never ${VIEWERS} viewers streaming: ${out}`);
    assert.equal(await exited, 0, out);
    const summary = JSON.parse(out.trim().split('\n').pop());
    assert.equal(summary.viewers_streaming, VIEWERS, out);
    assert.equal(summary.totals.decrypt_failures, 0, out);
    assert.equal(summary.totals.replayed, 0, out);
    assert.equal(summary.totals.malformed, 0, out);
    assert.equal(summary.totals.lost, 0, out);
    // 5 s at 30 fps each.
    for (const s of summary.sessions) assert.ok(s.frames >= 100, `session ${s.index}: ${s.frames} frames`);

    const status = await getStatus(service.url);
    // Each frame's stages follow one another, so their medians do too.
    const lat = status.latency_us;
    const order = ['capture_to_encode_start', 'capture_to_encode_end', 'capture_to_network',
      'capture_to_first_send', 'capture_to_last_send'].map((k) => lat[k].median);
    for (let i = 1; i < order.length; i++) assert.ok(order[i] >= order[i - 1], JSON.stringify(lat));
    assert.ok(status.encode_end_to_last_send_us.median > 0, JSON.stringify(status.encode_end_to_last_send_us));
    assert.equal(status.frame_viewers.max, VIEWERS, JSON.stringify(status.frame_viewers));
    const cores = os.availableParallelism();
    assert.equal(status.send_threads, Math.min(cores, 4), JSON.stringify(status.send_threads));
    if (status.send_threads > 1) assert.ok(status.frames_spread > 0, 'the workers never took a frame');
    else assert.equal(status.frames_spread, 0);
  } finally {
    load.kill('SIGKILL');
    assert.equal(await service.stop(), 0, service.log().slice(-3000));
  }
});
