/**
 * Readiness (src/ops/readiness.ts) on stub ports: a dependency that hangs is reported within the
 * timeout, is not asked again while its ping is pending, probes within a second share one check,
 * and draining is reported at once (never from the cache).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readiness } from '../../src/ops/readiness.js';

function stubDep(kind: string) {
  const dep = {
    kind,
    calls: 0,
    mode: 'ok' as 'ok' | 'hang' | 'fail',
    ping(): Promise<void> {
      dep.calls++;
      if (dep.mode === 'hang') return new Promise(() => {});
      if (dep.mode === 'fail') return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:3306'));
      return Promise.resolve();
    },
  };
  return dep;
}

test('a hanging store is reported within the timeout and not pinged again while its ping is pending', async () => {
  const store = stubDep('mysql');
  const cache = stubDep('redis');
  let now = 0;
  const r = new Readiness({ store, cache, notServing: () => undefined }, { timeoutMs: 50, now: () => now });
  store.mode = 'hang';
  const first = await r.check();
  assert.equal(first.ready, false);
  assert.equal(first.store.ok, false);
  assert.match(first.store.problem!, /the database \(WXCOZE_DATABASE_URL\) did not answer within 50 ms/);
  assert.match(first.store.problem!, /`wxcoze doctor`/);
  assert.equal(first.cache.ok, true);
  assert.deepEqual(first.problems, [first.store.problem]);
  now += 5000; // past the cache: checked again, but the hung ping is not repeated
  const second = await r.check();
  assert.equal(second.store.ok, false);
  assert.equal(store.calls, 1, 'one ping in flight at most');
  assert.equal(cache.calls, 2);
});

test('probes within a second share one check; a refusal names the dependency; draining shows at once', async () => {
  const store = stubDep('sqlite');
  const cache = stubDep('redis');
  let now = 0;
  let notServing: string | undefined;
  const r = new Readiness(
    { store, cache, notServing: () => notServing },
    { timeoutMs: 1000, now: () => now },
  );
  const reports = await Promise.all([r.check(), r.check(), r.check()]);
  now += 500;
  reports.push(await r.check());
  assert.ok(reports.every((x) => x.ready));
  assert.equal(store.calls, 1);
  assert.equal(cache.calls, 1);

  notServing = 'wxcoze is stopping';
  const draining = await r.check(); // still within the second: the cached pings, the fresh reason
  assert.equal(store.calls, 1);
  assert.equal(draining.ready, false);
  assert.deepEqual(draining.problems, ['wxcoze is stopping']);

  notServing = undefined;
  cache.mode = 'fail';
  now += 2000;
  const refused = await r.check();
  assert.equal(refused.ready, false);
  assert.match(refused.cache.problem!, /Redis \(WXCOZE_REDIS_URL\) refused the request/);
  assert.equal(refused.cache.error, 'connect ECONNREFUSED 10.0.0.5:3306');
  assert.doesNotMatch(refused.cache.problem!, /10\.0\.0\.5/, 'no address in the words anyone may read');
});
