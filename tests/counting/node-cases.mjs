// Cases for tests/counting/run.sh: what node --test reports and how
// scripts/test-count.py must count it.  Not a test of hdmirtc (and not
// named *.test.mjs, so no suite picks it up by itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('passes', () => assert.equal(1 + 1, 2));
test('is skipped', { skip: 'nothing to run here' }, () => {});
test('is todo', { todo: 'not written yet' }, () => {});
test('fails', () => assert.equal(1 + 1, 3));
// Times out: node cancels it ("# cancelled"), which must count as failed.
test('times out', { timeout: 200 }, () => new Promise((resolve) => setTimeout(resolve, 5000)));
test('has subtests', async (t) => {
  await t.test('inner passes', () => {});
  await t.test('inner is skipped', { skip: 'inner skip' }, () => {});
});
