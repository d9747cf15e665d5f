// GET /metrics parses with a Prometheus text-format parser and carries the
// same figures as /api/status, viewers labelled by id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { launchChromium } from './lib/chromium.mjs';
import { startService, getStatus } from './lib/service.mjs';

const slow = process.env.HDMIRTC_TEST_SANITIZED ? 4 : 1;

test('/metrics is valid Prometheus text with per-viewer samples', { timeout: 60000 }, async () => {
  const service = await startService(['--width', '640', '--height', '360']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(service.url);
    await page.waitForFunction(() => window.hdmirtc.framesPresented > 10, null, { timeout: 20000 * slow });
    const res = await fetch(new URL('metrics', service.url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await res.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    const status = await getStatus(service.url);

    assert.equal(byName.get('hdmirtc_encoder_name_info').metrics[0].labels.value, status.encoder.name);
    assert.ok(Number(byName.get('hdmirtc_encoder_frames').metrics[0].value) > 0);
    const sent = byName.get('hdmirtc_viewers_frames_sent').metrics;
    assert.equal(sent.length, 1);
    assert.equal(sent[0].labels.id, status.viewers[0].id);
    assert.ok(Number(sent[0].value) > 0);
    assert.ok(byName.has('hdmirtc_latency_us_capture_to_last_send_p95'));
    for (const f of families) assert.match(f.name, /^hdmirtc_[a-z0-9_]+$/);
  } finally {
    await browser.close();
    assert.equal(await service.stop(), 0);
  }
});
