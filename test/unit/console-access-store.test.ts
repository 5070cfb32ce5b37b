import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConsoleAccess } from '../../src/store/sql/console-access.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { storeEngines } from '../helpers/store-engines.js';

// The console's access data (migration 6), the same behaviour on both engines.
const engines = await storeEngines('wxcoze-access-');

for (const engine of engines)
  describe(`console access store on ${engine.name}`, { skip: engine.skip }, () => {
    test('operators: created once, password replaced, removed with their sessions', async () => {
      const a = (await engine.open()).consoleAccess;
      assert.equal(await a.countOperators(), 0);
      assert.equal(await a.setOperator('admin', 'scrypt$h1', 1000), true);
      assert.equal(await a.setOperator('小王', 'scrypt$h2', 1001), true);
      assert.equal(await a.setOperator('admin', 'scrypt$h3', 2000), false);
      const admin = await a.getOperator('admin');
      assert.deepEqual(admin, { name: 'admin', passwordHash: 'scrypt$h3', createdAt: 1000, updatedAt: 2000 });
      assert.deepEqual(
        (await a.listOperators()).map((o) => o.name),
        ['admin', '小王'],
      );
      await a.createSession({
        idHash: 'x'.repeat(64),
        operator: '小王',
        csrf: 'c',
        createdAt: 1,
        expiresAt: 10_000,
        lastSeenAt: 1,
      });
      assert.equal(await a.removeOperator('小王'), true);
      assert.equal(await a.removeOperator('小王'), false);
      assert.equal(await a.getSession('x'.repeat(64)), undefined);
      assert.equal(await a.countOperators(), 1);
    });

    test('sessions: found by hash, touched, pruned when expired or idle', async () => {
      const a = (await engine.open()).consoleAccess;
      const s = (id: string, lastSeenAt: number, expiresAt: number) => ({
        idHash: id.repeat(64),
        operator: 'admin',
        csrf: `csrf-${id}`,
        createdAt: 0,
        expiresAt,
        lastSeenAt,
      });
      await a.createSession(s('a', 1000, 100_000));
      await a.createSession(s('b', 1000, 5_000)); // absolute end passed at 6,000
      await a.createSession(s('c', 100, 100_000)); // idle since 100
      await a.touchSession('a'.repeat(64), 5_500);
      assert.equal((await a.getSession('a'.repeat(64)))?.lastSeenAt, 5_500);
      assert.equal(await a.pruneSessions(6_000, 5_000), 2);
      assert.equal((await a.getSession('a'.repeat(64)))?.csrf, 'csrf-a');
      assert.equal(await a.getSession('b'.repeat(64)), undefined);
      assert.equal(await a.deleteSessionsOf('admin'), 1);
    });

    test('audit log: newest first, paged, with the customer and detail', async () => {
      const a = (await engine.open()).consoleAccess;
      for (let i = 1; i <= 5; i++)
        await a.audit({
          at: i * 1000,
          operator: i % 2 ? 'admin' : '小王',
          action: i === 3 ? 'takeover' : 'login',
          ...(i === 3 ? { openKfId: 'wk1', externalUserId: 'wm1', detail: '{"why":"test"}' } : {}),
        });
      const first = await a.listAudit({ limit: 2 });
      assert.deepEqual(
        first.map((e) => e.at),
        [5000, 4000],
      );
      const next = await a.listAudit({ limit: 2, before: first[1]!.id });
      assert.deepEqual(
        next.map((e) => [e.at, e.action, e.openKfId, e.externalUserId, e.detail]),
        [
          [3000, 'takeover', 'wk1', 'wm1', '{"why":"test"}'],
          [2000, 'login', null, null, null],
        ],
      );
      assert.equal((await a.listAudit({ limit: 10, operator: '小王' })).length, 2);
      await a.audit({ at: 9, operator: 'admin', action: 'x', detail: 'é'.repeat(5000) });
      assert.equal((await a.listAudit({ limit: 1 }))[0]!.detail!.length, 2000);
    });

    test("failed logins in the audit log are capped (the newest kept); operators' actions are not", async () => {
      const store = (await engine.open()) as SqlStore;
      const a = new ConsoleAccess(store.db, 3);
      await a.audit({ at: 1, operator: 'admin', action: 'takeover' });
      for (let i = 2; i <= 8; i++) await a.audit({ at: i, operator: '?', action: 'login_failed' });
      const left = await a.listAudit({ limit: 100 });
      assert.deepEqual(
        left.map((e) => [e.at, e.action]),
        [
          [8, 'login_failed'],
          [7, 'login_failed'],
          [6, 'login_failed'],
          [1, 'takeover'],
        ],
      );
    });

    test('login failures: counted per key within the window, a new window starts over, cleared', async () => {
      const a = (await engine.open()).consoleAccess;
      const W = 60_000;
      assert.deepEqual(await a.loginFailures('ip:1.2.3.4', 1000, W), { failures: 0, windowStart: 1000 });
      assert.equal((await a.noteLoginFailure('ip:1.2.3.4', 1000, W)).failures, 1);
      assert.equal((await a.noteLoginFailure('ip:1.2.3.4', 2000, W)).failures, 2);
      await Promise.all([
        a.noteLoginFailure('ip:1.2.3.4', 3000, W),
        a.noteLoginFailure('ip:1.2.3.4', 3000, W),
      ]);
      assert.deepEqual(await a.loginFailures('ip:1.2.3.4', 4000, W), { failures: 4, windowStart: 1000 });
      assert.equal((await a.noteLoginFailure('op:admin', 4000, W)).failures, 1);
      // The window that began at 1,000 is over at 61,000: counting starts again.
      assert.equal((await a.loginFailures('ip:1.2.3.4', 61_000, W)).failures, 0);
      assert.deepEqual(await a.noteLoginFailure('ip:1.2.3.4', 61_000, W), {
        failures: 1,
        windowStart: 61_000,
      });
      await a.clearLoginFailures('ip:1.2.3.4');
      assert.equal((await a.loginFailures('ip:1.2.3.4', 61_001, W)).failures, 0);
    });
  });
