/**
 * Retention, forgetting and the daily jobs' claim on both engines (migration 13,
 * src/store/sql/retention.ts, forget.ts, maintenance.ts). On SQLite the erased text must be gone
 * from the bytes of the database file and its WAL (secure_delete, checkpoint TRUNCATE); on MariaDB
 * no row may hold it; the console's charts still count erased messages.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DailyMaintenance } from '../../src/ops/maintenance/daily.js';
import { createLogger } from '../../src/log/logger.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { storeEngines } from '../helpers/store-engines.js';

const engines = await storeEngines('wxcoze-maint-store-');
const KF = 'wkMaint';
const DAY = 86_400_000;

const secret = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

function msg(msgid: string, user: string, text: string): NewInboxMessage {
  return {
    msgid,
    openKfId: KF,
    externalUserId: user,
    origin: 3,
    msgtype: 'text',
    sendTime: 1_700_000_000,
    payload: { msgid, msgtype: 'text', text: { content: text } },
    state: 'received',
  };
}

/** Stored at `at`, answered with `answer`, a transcript noted, finished done. */
async function answered(s: SqlStore, msgid: string, user: string, text: string, answer: string, at: number) {
  await s.commitPage(KF, `c-${msgid}`, [msg(msgid, user, text)], at);
  const items = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 10, now: at + 1 });
  assert.ok(items.some((i) => i.msgid === msgid));
  await s.noteMedia(msgid, { transcript: `${text}-voice`, filename: `${text}.pdf` }, at + 1);
  assert.ok(await s.saveAnswer(msgid, 'w', [{ kind: 'text', content: answer }], null, at + 2));
  assert.ok(await s.finish(msgid, 'w', 'done', null, at + 3));
}

/** Every place the text could remain: the database file and its WAL (SQLite), or any inbox column (MySQL). */
async function traces(s: SqlStore, text: string): Promise<string[]> {
  if (s.kind === 'sqlite') {
    const file = (s.db as { raw: { name: string } }).raw.name;
    return [file, `${file}-wal`].filter((f) => existsSync(f) && readFileSync(f).includes(Buffer.from(text)));
  }
  const q = `%${text}%`;
  const rows = await (s.db as unknown as { sql: (q: string, p: unknown[]) => Promise<unknown[]> }).sql(
    `SELECT msgid FROM inbox WHERE payload LIKE ? OR parts LIKE ? OR transcript LIKE ? OR media_filename LIKE ?
     UNION SELECT out_msgid FROM sent_log WHERE external_userid LIKE ?
     UNION SELECT user_id FROM identities WHERE external_id LIKE ?
     UNION SELECT external_userid FROM customers WHERE external_userid LIKE ?`,
    [q, q, q, q, q, q, q],
  );
  return rows.length ? [`${rows.length} row(s)`] : [];
}

for (const engine of engines) {
  describe(`maintenance store (${engine.name})`, { skip: engine.skip }, () => {
    test("retention erases old messages' text, answers, transcripts and file names; the charts still count them", async () => {
      const s = await engine.open();
      const now = Date.now();
      const old = now - 200 * DAY;
      const oldText = secret('OLDTEXT');
      const oldAnswer = secret('OLDANSWER');
      const newText = secret('NEWTEXT');
      await answered(s, 'm-old', 'wmOld', oldText, oldAnswer, old);
      await answered(s, 'm-new', 'wmNew', newText, secret('NEWANSWER'), now - DAY);
      const range = { from: old - DAY, to: now + DAY, bucketMs: DAY };
      const before = await s.stats.series(range);
      assert.equal(before.total.in, 2);

      assert.equal(await s.privacy.eraseBefore(now - 180 * DAY), 1);
      assert.equal(await s.privacy.eraseBefore(now - 180 * DAY), 0, 'an erased row is not erased again');
      assert.ok(await s.privacy.compact());

      const gone = await s.get('m-old');
      assert.deepEqual(gone?.payload, { erased: true });
      assert.equal(gone?.parts, null);
      assert.equal(gone?.transcript, null);
      assert.equal(gone?.mediaFilename, null);
      assert.equal(gone?.state, 'done');
      const kept = await s.get('m-new');
      assert.equal((kept?.payload as { text: { content: string } }).text.content, newText);

      // A fresh stats object: nothing cached from before the erase.
      const after = await new (s.stats.constructor as new (db: unknown) => typeof s.stats)(s.db).series(
        range,
      );
      assert.deepEqual(after.total, before.total, 'the charts count erased messages as before');

      for (const t of [oldText, oldAnswer, `${oldText}-voice`, `${oldText}.pdf`])
        assert.deepEqual(await traces(s, t), [], `${t} is gone`);
      assert.notDeepEqual(await traces(s, newText), [], 'the check can see text that is there');
    });

    test('retention walks a long history in short statements: every old finished message once, a waiting one kept', async () => {
      const s = await engine.open();
      const now = Date.now();
      const old = now - 200 * DAY;
      // 1,203 old messages (a dozen of the walk's 100-seq ranges), then 3 new ones; the first old
      // one still waits for its answer, three of the old ones were skipped. The last old page
      // begins with an event (origin 4): its rows share one created_at, and the index orders those
      // by origin, so "the newest row before the cutoff" must not be taken as the walk's end.
      const N = 1203;
      for (let from = 0; from < N; from += 100)
        await s.commitPage(
          KF,
          `c${from}`,
          Array.from({ length: Math.min(100, N - from) }, (_, i) => ({
            ...msg(`old${from + i}`, `wmU${from + i}`, `old text ${from + i}`),
            ...(from + i >= 1 && from + i <= 3 ? { state: 'skipped' as const } : {}),
            ...(from + i === 1200 ? { origin: 4, state: 'skipped' as const } : {}),
          })),
          old + from,
        );
      await s.commitPage(
        KF,
        'cNew',
        [0, 1, 2].map((i) => msg(`new${i}`, `wmN${i}`, `new text ${i}`)),
        now,
      );
      await s.db.run(
        s.db.qb
          .updateTable('inbox')
          .set({ state: 'done' })
          .where('msgid', 'like', 'old%')
          .where('state', '=', 'received')
          .where('msgid', '<>', 'old0'),
      );
      assert.equal(await s.privacy.eraseBefore(now - 180 * DAY), N - 1);
      assert.equal(await s.privacy.eraseBefore(now - 180 * DAY), 0, 'nothing erased twice');
      assert.deepEqual((await s.get('old1202'))?.payload, { erased: true });
      assert.deepEqual((await s.get('old2'))?.payload, { erased: true }, 'a skipped one too');
      const text = async (msgid: string) =>
        ((await s.get(msgid))?.payload as { text?: { content: string } } | undefined)?.text?.content;
      assert.equal(await text('old0'), 'old text 0', 'a waiting one is kept');
      assert.equal(await text('new2'), 'new text 2');
    });

    test('forget erases one person everywhere the store holds them, and only them', async () => {
      const s = await engine.open();
      const now = Date.now();
      const text = secret('FORGETME');
      const answer = secret('FORGETANSWER');
      const user = await s.resolveUser('wecom', 'wmForget', now);
      await s.linkIdentities(
        { channel: 'wecom', externalId: 'wmForget' },
        { channel: 'web', externalId: 'k:key1/user:alice' },
        now,
      );
      await s.setConversation(user, 'bot:1', 'conv-forget', now);
      await answered(s, 'm-f1', 'wmForget', text, answer, now - 1000);
      await s.markCustomerNotice(KF, 'wmForget', 'fallback', now);
      await answered(s, 'm-other', 'wmOther', secret('OTHER'), secret('OTHERANSWER'), now - 1000);
      await s.consoleAccess.audit({
        at: now,
        operator: 'op',
        action: 'reply',
        openKfId: KF,
        externalUserId: 'wmForget',
        detail: 'm-f1',
      });

      const byOpenAi = await s.privacy.findPerson('alice');
      assert.equal(byOpenAi.kind, 'one');
      const match = await s.privacy.findPerson('wmForget');
      assert.equal(match.kind, 'one');
      if (match.kind !== 'one' || byOpenAi.kind !== 'one') return;
      assert.equal(byOpenAi.plan.userId, user);
      assert.equal(match.plan.userId, user);
      assert.deepEqual(match.plan.externalUserIds, ['wmForget']);
      assert.equal(match.plan.messages, 1);
      assert.equal(match.plan.conversations, 1);
      assert.equal(match.plan.auditRows, 1);
      assert.deepEqual(match.plan.identities.sort(), ['web:k:key1/user:alice', 'wecom:wmForget']);
      // Looking changes nothing.
      assert.ok(await s.get('m-f1'));

      const done = await s.privacy.forget(match.plan);
      assert.equal(done.messages, 1);
      assert.ok(await s.privacy.compact());
      assert.equal(await s.get('m-f1'), undefined);
      assert.equal(await s.findIdentities({ channel: 'wecom', externalId: 'wmForget' }), undefined);
      assert.equal(await s.findIdentities({ channel: 'web', externalId: 'k:key1/user:alice' }), undefined);
      assert.equal(await s.getConversation(user, 'bot:1'), undefined);
      assert.equal((await s.privacy.findPerson('wmForget')).kind, 'none');
      assert.ok(await s.get('m-other'), 'another customer is untouched');
      for (const t of [text, answer, 'wmForget', 'conv-forget'])
        assert.deepEqual(await traces(s, t), [], `${t} is gone`);
    });

    test('a daily job is claimed by one of two instances, once a day; a failed run is tried again', async () => {
      const s = await engine.open();
      const now = Date.now();
      const claims = await Promise.all(
        ['a', 'b', 'c'].map((o) => s.maintenance.claim('retention', '2026-12-02', o, now, 60_000)),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      const winner = ['a', 'b', 'c'][claims.indexOf(true)]!;
      await s.maintenance.complete('retention', '2026-12-02', winner, '0 erased', now);
      assert.equal(
        await s.maintenance.claim('retention', '2026-12-02', 'b', now + 1, 60_000),
        false,
        'done for the day',
      );
      assert.ok(await s.maintenance.claim('retention', '2026-12-03', 'b', now + 2, 60_000), 'the next day');
      await s.maintenance.release('retention', 'b', now + 3);
      assert.ok(
        await s.maintenance.claim('retention', '2026-12-03', 'c', now + 4, 60_000),
        'a failed run is claimable again',
      );
      assert.equal((await s.maintenance.last('retention'))?.lastDay, '2026-12-02');

      // Two instances' daily runners looking at the same moment: the retention runs once.
      const logger = createLogger({ level: 'silent' });
      const config = {
        backupHour: 0,
        backupKeep: 0,
        backupDir: '/nonexistent',
        retentionDays: 30,
        utcOffsetMin: 0,
      };
      const runners = ['i1', 'i2'].map((owner) => new DailyMaintenance({ config, store: s, logger, owner }));
      const t = Date.parse('2030-01-01T05:00:00Z');
      const ran = await Promise.all(runners.map((r) => r.runDue(t)));
      assert.deepEqual(ran.flat(), ['retention']);
      assert.deepEqual(
        (await Promise.all(runners.map((r) => r.runDue(t + 3600_000)))).flat(),
        [],
        'not twice a day',
      );
      assert.deepEqual((await runners[1]!.runDue(t + DAY)).flat(), ['retention'], 'again the next day');
    });
  });
}
