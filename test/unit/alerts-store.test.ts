/**
 * The alerts' shared state on both engines (src/store/sql/alerts.ts, migration 10): of several
 * instances deciding the same change or claiming the same send at once, exactly one wins; the
 * per-minute send cap holds across callers; and the inbox facts the conditions read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { storeEngines } from '../helpers/store-engines.js';

const engines = await storeEngines('wxcoze-alerts-store-');
const KF = 'wkAlerts';

function msg(msgid: string, user = 'wmA', extra: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return {
    msgid,
    openKfId: KF,
    externalUserId: user,
    origin: 3,
    msgtype: 'text',
    sendTime: 1_700_000_000,
    payload: { text: { content: 'hi' } },
    state: 'received',
    ...extra,
  };
}

/** Stores the message and ends it the way the pipeline would: claimed, answered, then finished. */
async function ended(
  s: SqlStore,
  msgid: string,
  how: { state: 'done' | 'failed'; note: string | null; at: number; user?: string },
) {
  await s.commitPage(KF, `c-${msgid}`, [msg(msgid, how.user ?? `wm-${msgid}`)], how.at - 10);
  const items = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 10, now: how.at - 5 });
  assert.ok(items.some((i) => i.msgid === msgid));
  for (const i of items) if (i.msgid !== msgid) await s.releaseLease(i.msgid, 'w');
  await s.saveAnswer(msgid, 'w', [{ kind: 'text', content: 'x' }], how.note, how.at - 1);
  assert.ok(await s.finish(msgid, 'w', how.state, how.note, how.at));
}

for (const engine of engines) {
  describe(`alerts store (${engine.name})`, { skip: engine.skip }, () => {
    test('rows start ok and untold; ensure is idempotent and the rate row is not listed', async () => {
      const s = await engine.open();
      await s.alerts.ensure(['a', 'b'], 1000);
      await s.alerts.ensure(['a', 'b', 'c'], 2000);
      const rows = await s.alerts.list();
      assert.deepEqual(rows.map((r) => r.alert).sort(), ['a', 'b', 'c']);
      for (const r of rows) {
        assert.equal(r.state, 'ok');
        assert.equal(r.sent, 'resolved');
        assert.equal(r.version, 0);
      }
    });

    test('two instances deciding a change from the same version: exactly one writes it', async () => {
      const s = await engine.open();
      await s.alerts.ensure(['x'], 1000);
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          s.alerts.transition(
            'x',
            0,
            { state: 'firing', since: 1000 + i, clearSince: 0, detail: `d${i}` },
            2000,
          ),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const [row] = await s.alerts.list();
      assert.equal(row!.state, 'firing');
      assert.equal(row!.version, 1);
      assert.equal(row!.detail, `d${results.indexOf(true)}`);
      // A change decided on the old version is refused.
      assert.equal(await s.alerts.transition('x', 0, { state: 'ok', since: 0, clearSince: 0 }, 3000), false);
    });

    test('a due send is claimed by exactly one instance; finished, it is no longer due', async () => {
      const s = await engine.open();
      await s.alerts.ensure(['x'], 1000);
      // Not due while the state and what was sent agree.
      assert.equal(await s.alerts.claimSend('x', 'i1', 1500, 60_000), false);
      await s.alerts.transition('x', 0, { state: 'firing', since: 1000, clearSince: 0 }, 2000);
      const claims = await Promise.all(
        ['i1', 'i2', 'i3'].map((o) => s.alerts.claimSend('x', o, 2100, 60_000)),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      const owner = ['i1', 'i2', 'i3'][claims.indexOf(true)]!;
      // Another instance's finish does nothing.
      await s.alerts.finishSend('x', owner === 'i1' ? 'i2' : 'i1', 'firing', 2200);
      assert.equal((await s.alerts.list())[0]!.sent, 'resolved');
      await s.alerts.finishSend('x', owner, 'firing', 2200);
      const [row] = await s.alerts.list();
      assert.equal(row!.sent, 'firing');
      assert.equal(row!.sentAt, 2200);
      assert.equal(await s.alerts.claimSend('x', 'i1', 2300, 60_000), false, 'told already');
    });

    test('a failed send waits for its backoff, counts its attempts, and a dead claimer is taken over after the lease', async () => {
      const s = await engine.open();
      await s.alerts.ensure(['x'], 1000);
      await s.alerts.transition('x', 0, { state: 'firing', since: 1000, clearSince: 0 }, 2000);
      assert.ok(await s.alerts.claimSend('x', 'i1', 2000, 60_000));
      await s.alerts.failSend('x', 'i1', 10_000, 2100);
      assert.equal(await s.alerts.claimSend('x', 'i2', 9_999, 60_000), false, 'backing off');
      assert.equal((await s.alerts.list())[0]!.sendAttempts, 1);
      assert.ok(await s.alerts.claimSend('x', 'i2', 10_000, 60_000));
      // i2 dies holding the claim: nobody may send until it lapses.
      assert.equal(await s.alerts.claimSend('x', 'i3', 69_999, 60_000), false);
      assert.ok(await s.alerts.claimSend('x', 'i3', 70_000, 60_000));
      await s.alerts.finishSend('x', 'i3', 'firing', 70_100);
      assert.equal((await s.alerts.list())[0]!.sendAttempts, 0, 'attempts reset once delivered');
    });

    test('the send cap holds across callers within a minute and starts again the next minute', async () => {
      const s = await engine.open();
      await s.alerts.ensure([], 0);
      const at = 1_000_000;
      const first = await Promise.all(Array.from({ length: 8 }, () => s.alerts.reserveSend(at, 5)));
      assert.equal(first.filter(Boolean).length, 5);
      assert.equal(await s.alerts.reserveSend(at + 59_000, 5), false);
      // The minute began at the first reservation: a minute later the count starts again.
      const later = await Promise.all(Array.from({ length: 7 }, () => s.alerts.reserveSend(at + 60_000, 5)));
      assert.equal(later.filter(Boolean).length, 5);
    });

    test('inbox facts: the oldest waiting message, failures in the window (not dismissed), the newest Coze outcome', async () => {
      const s = await engine.open();
      const none = await s.alerts.inboxFacts({ failedSince: 0, cozeSince: 0 });
      assert.deepEqual(none, {
        oldestPendingAt: null,
        failed: { count: 0, lastAt: null, lastNote: null },
        cozeOutcome: null,
      });

      await ended(s, 'm-ok', { state: 'done', note: null, at: 10_000 });
      await ended(s, 'm-auth', {
        state: 'failed',
        note: 'failed: coze auth 4100: authentication is invalid',
        at: 20_000,
      });
      await ended(s, 'm-undeliverable', { state: 'failed', note: 'undeliverable: 95002', at: 30_000 });
      await s.commitPage(KF, 'c-wait', [msg('m-wait', 'wmWait')], 40_000);

      let f = await s.alerts.inboxFacts({ failedSince: 15_000, cozeSince: 0 });
      assert.equal(f.oldestPendingAt, 40_000);
      assert.equal(f.failed.count, 2);
      assert.equal(f.failed.lastAt, 30_000);
      assert.equal(f.failed.lastNote, 'undeliverable: 95002');
      // The newest message Coze decided is the auth failure (an undeliverable reply says nothing of Coze).
      assert.deepEqual(f.cozeOutcome, {
        ok: false,
        note: 'failed: coze auth 4100: authentication is invalid',
        at: 20_000,
      });

      // The window: failures before it do not count.
      f = await s.alerts.inboxFacts({ failedSince: 25_000, cozeSince: 25_000 });
      assert.equal(f.failed.count, 1);
      assert.equal(f.cozeOutcome, null);

      // Dismissed in the console: no longer counted.
      assert.equal(await s.operatorActions.dismiss(['m-auth', 'm-undeliverable'], 50_000), 2);
      f = await s.alerts.inboxFacts({ failedSince: 0, cozeSince: 0 });
      assert.equal(f.failed.count, 0);

      // Coze answering a later message is the newest outcome again.
      await ended(s, 'm-ok2', { state: 'done', note: null, at: 60_000 });
      f = await s.alerts.inboxFacts({ failedSince: 0, cozeSince: 0 });
      assert.deepEqual(f.cozeOutcome, { ok: true, note: null, at: 60_000 });
    });
  });
}
