import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PasswordGate } from '../../src/console/auth/password-gate.js';

test('password checks: at most 2 run at once, a few wait, the rest are refused at once', async () => {
  const gate = new PasswordGate(2, 3);
  let running = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const check = () =>
    new Promise<boolean>((resolve) => {
      running++;
      most = Math.max(most, running);
      releases.push(() => {
        running--;
        resolve(true);
      });
    });
  const calls = Array.from({ length: 8 }, () => gate.run(check));
  // 2 running + 3 waiting are accepted; the other 3 are refused without running.
  const settled = await Promise.race([Promise.all(calls.slice(5)), new Promise((r) => setTimeout(r, 1000))]);
  assert.deepEqual(settled, [undefined, undefined, undefined]);
  assert.equal(running, 2);
  // Finishing checks lets the waiting ones in, never more than 2 at a time.
  while (releases.length) {
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await Promise.all(calls.slice(0, 5)), [true, true, true, true, true]);
  assert.equal(most, 2);
  // Free again: a new check runs at once.
  const later = gate.run(check);
  await new Promise((r) => setImmediate(r));
  assert.equal(running, 1);
  releases.shift()!();
  assert.equal(await later, true);
});
