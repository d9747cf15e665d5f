// The service holds no descriptor for a client that has gone: idle
// kept-alive connections the client closes (libsoup 3.2 kept them in
// CLOSE-WAIT, one descriptor each, found by the bench's memory soak) and
// MJPEG clients that disconnect mid-stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { startService } from './lib/service.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(url, agent) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res)); }).on('error', reject);
  });
}

test('no descriptor is left behind by clients that close their connections', async () => {
  const service = await startService(['--width', '640', '--height', '360']);
  const fds = () => readdirSync(`/proc/${service.child.pid}/fd`).length;
  try {
    await get(new URL('api/status', service.url));
    await sleep(300);
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const agent = new http.Agent({ keepAlive: true });
      const res = await get(new URL(i % 2 ? 'api/status' : 'metrics', service.url), agent);
      assert.equal(res.statusCode, 200);
      agent.destroy();
    }
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve, reject) => {
        const req = http.get(new URL('stream.mjpeg', service.url), (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', reject);
      });
    }
    await sleep(1500);
    const after = fds();
    assert.ok(after <= before, `descriptors ${before} -> ${after} after 20 requests and 5 MJPEG clients`);
  } finally {
    await service.stop();
  }
});
