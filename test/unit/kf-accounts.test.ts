/**
 * KfAccountGate: which open_kfids are pulled. Two gates on one shared cache stand for two
 * instances on one Redis (the real Redis when it is reachable).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import Keyv from 'keyv';
import { silentLogger } from '../../src/log/logger.js';
import { KfAccountGate, type AccountLister } from '../../src/pipeline/kf-accounts.js';
import { openCoordinator } from '../../src/store/coordination/index.js';
import type { Coordinator } from '../../src/store/coordination/types.js';
import { TEST_REDIS_URL } from '../helpers/mysql.js';

const REAL = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';
const logger = silentLogger();

class FakeLister implements AccountLister {
  calls = 0;
  down = false;
  ids = [REAL];
  async listAccounts() {
    this.calls++;
    if (this.down) throw Object.assign(new Error('system busy'), { errcode: -1 });
    return [
      ...this.ids.map((id) => ({ open_kfid: id, manage_privilege: true })),
      { open_kfid: 'wkNotManaged000000000000000000', manage_privilege: false },
    ];
  }
}

function gate(wecom: AccountLister, cache: Keyv, opts: { configured?: string[]; refreshMs?: number } = {}) {
  return new KfAccountGate({
    wecom,
    cache,
    cacheKey: 'kf-accounts:test',
    configured: opts.configured ?? [],
    logger,
    refreshMs: opts.refreshMs ?? 60_000,
    retryBaseMs: 20,
  });
}

test('malformed ids are refused without asking WeCom; configured ones are accepted without a list', async () => {
  const wecom = new FakeLister();
  const g = gate(wecom, new Keyv(), { configured: ['wkConfiguredButUnlisted00000000'] });
  for (const id of ['__proto__', '../../etc/passwd', '', 'constructor', 'wk', 'x'.repeat(5000)])
    assert.equal(await g.verdict(id), 'unknown', id);
  assert.equal(await g.verdict('wkConfiguredButUnlisted00000000'), 'valid');
  assert.equal(wecom.calls, 0);
});

test('listed accounts with manage_privilege are valid; made-up ones cost at most one list call per interval', async () => {
  const wecom = new FakeLister();
  assert.equal(
    await gate(wecom, new Keyv()).verdict('wkNotManaged000000000000000000'),
    'unknown',
    'listed but not managed by this app',
  );
  const g = gate(wecom, new Keyv());
  assert.equal(await g.verdict(REAL), 'valid');
  wecom.calls = 0;
  const made = Array.from({ length: 20 }, (_, i) => `wkMadeUp${String(i).padStart(24, '0')}`);
  const verdicts = await Promise.all(made.map((id) => g.verdict(id)));
  assert.ok(verdicts.every((v) => v !== 'valid'));
  assert.equal(wecom.calls, 0, 'no list call before the interval after the last one has passed');
});

async function assertShared(cache: Keyv) {
  const wecom = new FakeLister();
  const a = gate(wecom, cache);
  const b = gate(wecom, cache);
  assert.equal(await a.verdict(REAL), 'valid');
  assert.equal(await b.verdict(REAL), 'valid');
  assert.equal(wecom.calls, 1, 'the second instance used the shared list');
  assert.equal(
    await b.verdict('wkMadeUpElsewhere00000000000000'),
    'wait',
    'fetched a moment ago by the other instance: no second call yet',
  );
  assert.equal(wecom.calls, 1);
}

test('two instances share one account list (in-process cache)', () => assertShared(new Keyv()));

test('two instances share one account list through Redis', async (t) => {
  // Redis is closed here rather than in an after() hook: the root hook would wait for its socket.
  const redis: Coordinator = await openCoordinator(
    TEST_REDIS_URL,
    `wxcoze-test:${randomBytes(4).toString('hex')}:`,
  );
  try {
    if (
      !(await redis.ping().then(
        () => true,
        () => false,
      ))
    )
      return t.skip(`Redis not reachable at ${TEST_REDIS_URL}`);
    await assertShared(redis.cache);
  } finally {
    await redis.close();
  }
});

test('while the list cannot be fetched, an account waits; it is handled once the list answers', async () => {
  const wecom = new FakeLister();
  wecom.down = true;
  const g = gate(wecom, new Keyv(), { refreshMs: 200 });
  let pulled = 0;
  let ignored = 0;
  g.whenValid(
    REAL,
    () => pulled++,
    () => ignored++,
  );
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(pulled, 0);
  assert.ok(wecom.calls >= 1);
  wecom.down = false;
  for (let i = 0; i < 100 && pulled === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(pulled, 1);
  assert.equal(ignored, 0);
  g.stop();
});
