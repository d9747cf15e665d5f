// The churn soak of bench/churn.mjs, short: a few hundred WHEP join/leave
// cycles with the abusive clients beside them, against the build under
// test.  The full one (10,000 cycles under ASan + LSan) is run by hand and
// its figures kept in bench/results/latest-churn.md (bench/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from './lib/service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

test('300 join/leave cycles beside abusive clients: every cycle streams, the watcher never freezes, nothing is left',
  { timeout: 240000 }, () => {
    const out = mkdtempSync(path.join(tmpdir(), 'hdmirtc-churn-'));
    try {
      const r = spawnSync(process.execPath, [path.resolve(here, '../../bench/churn.mjs'), '--cycles', '300',
        '--parallel', '8', '--build', buildDir, '--tools', buildDir, '--out', out],
      { encoding: 'utf8', timeout: 230000 });
      const name = existsSync(path.join(out, 'latest-churn.json')) ? 'latest-churn.json' : 'latest-churn-asan.json';
      const result = JSON.parse(readFileSync(path.join(out, name), 'utf8'));
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(result.churn.streamed, 300);
      assert.ok(result.abuse.datagrams > 0 && result.abuse.offers > 0 && result.abuse.silent > 0, JSON.stringify(result.abuse));
      for (const [name, ok] of Object.entries(result.checks)) assert.notEqual(ok, false, `${name}\n${r.stdout}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
