import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, sleep } from '../../src/util/backoff.js';

const low = () => 0;
const high = () => 1;

test('the delay doubles per attempt from the base, always in the upper half of its ceiling', () => {
  const policy = { baseMs: 1000, capMs: 60_000 };
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => backoffMs(a, policy, high)),
    [1000, 2000, 4000, 8000],
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => backoffMs(a, policy, low)),
    [500, 1000, 2000, 4000],
  );
  for (let i = 0; i < 200; i++) {
    const d = backoffMs(3, policy);
    assert.ok(d >= 2000 && d <= 4000, String(d));
  }
});

test('the cap holds however many attempts failed, and attempt 0 counts as the first', () => {
  const policy = { baseMs: 1000, capMs: 60_000 };
  assert.equal(backoffMs(50, policy, high), 60_000);
  assert.equal(backoffMs(50, policy, low), 30_000);
  assert.equal(backoffMs(0, policy, high), 1000);
});

test("a factor other than 2 (WeCom's transport retries: about 100 ms, then 400 ms)", () => {
  const wecom = { baseMs: 100, capMs: 400, factor: 4 };
  assert.deepEqual(
    [1, 2, 3].map((a) => backoffMs(a, wecom, high)),
    [100, 400, 400],
  );
});

test('sleep ends early when its signal aborts', async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 10);
  await sleep(60_000, ac.signal);
  assert.ok(Date.now() - started < 30_000);
});
