import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { SurveySweeper } from '../../src/pipeline/survey.js';
import type { Store } from '../../src/store/types.js';
import { storeEngines } from '../helpers/store-engines.js';
import { KF, USER, startHarness } from '../helpers/wecom-fake.js';

const engines = await storeEngines('wxcoze-survey-');
const log = pino({ level: 'silent' });
const service = loadConfig({ env: { WXCOZE_SURVEY: 'on', WXCOZE_SURVEY_QUIET_MS: '60000' }, cwd: '/' }).config
  .service;

/** A customer message the AI answered (`done`), sent `agoMs` before now. */
async function answered(s: Store, user: string, msgid: string, agoMs: number): Promise<void> {
  const now = Date.now();
  await s.touchAccount(KF, now - agoMs);
  await s.commitPage(
    KF,
    `c-${msgid}`,
    [
      {
        msgid,
        openKfId: KF,
        externalUserId: user,
        origin: 3,
        msgtype: 'text',
        sendTime: Math.floor((now - agoMs) / 1000),
        payload: {},
        state: 'received',
      },
    ],
    now - agoMs,
  );
  const [item] = await s.claim({ owner: 'w', leaseMs: 60_000, limit: 1, now });
  assert.equal(item?.msgid, msgid);
  await s.saveAnswer(msgid, 'w', [{ kind: 'text', content: '答' }], null, now);
  await s.finish(msgid, 'w', 'done', null, now);
}

for (const engine of engines)
  describe(`survey on ${engine.name}`, { skip: engine.skip }, () => {
    const wecom = startHarness();
    after(async () => (await wecom).close());

    test('two instances sweeping at once send one survey; later sweeps send none', async () => {
      const { fake, api } = await wecom;
      const s = await engine.open();
      const user = `${USER.slice(0, -6)}${engine.name.slice(0, 5)}1`;
      await fake.customerSends(KF, user, { text: '你好' }, { notify: false });
      await answered(s, user, `q-${engine.name}`, 2 * 60_000);
      // A customer still inside the quiet time is not surveyed yet.
      const fresh = `${user.slice(0, -1)}f`;
      await fake.customerSends(KF, fresh, { text: '你好' }, { notify: false });
      await answered(s, fresh, `f-${engine.name}`, 1000);

      const sweeper = (owner: string) =>
        new SurveySweeper({ store: s, wecom: api, settings: async () => service, owner, logger: log });
      const [a, b] = await Promise.all([sweeper('i1').sweep(), sweeper('i2').sweep()]);
      assert.equal(a + b, 1);
      assert.equal(await sweeper('i3').sweep(), 0);
      const menus = fake.sentTo(user).filter((m) => m.msgtype === 'msgmenu');
      assert.equal(menus.length, 1);
      assert.equal(fake.sentTo(fresh).length, 0);
      // It is one of the customer's 5 messages.
      assert.equal(await s.budgetUsed(KF, user), 1);

      // The click, as events.ts records it, and the charts' count.
      const id = Number(
        /^wxs_(\d+)_/.exec(
          (menus[0]!.payload as { list: { click: { id: string } }[] }).list[0]!.click.id,
        )![1],
      );
      assert.equal(await s.surveys.rate(id, KF, 'wmSomeoneElse', 1, '非常满意', Date.now()), false);
      assert.equal(await s.surveys.rate(id, KF, user, 1, '非常满意', Date.now()), true);
      const counts = await s.surveys.ratingCounts({ from: Date.now() - 60_000, to: Date.now() + 60_000 });
      assert.deepEqual(counts, [{ rating: 1, label: '非常满意', n: 1 }]);
      assert.deepEqual(await s.surveys.ratingCounts({ from: 0, to: Date.now() - 60_000 }), []);
    });

    test('no survey when the 5-message budget is spent, nor for an account without the survey', async () => {
      const { fake, api } = await wecom;
      const s = await engine.open();
      const user = `${USER.slice(0, -6)}${engine.name.slice(0, 5)}2`;
      await fake.customerSends(KF, user, { text: '你好' }, { notify: false });
      await answered(s, user, `b-${engine.name}`, 2 * 60_000);
      const off = { ...service, defaults: { ...service.defaults, survey: false } };
      const sweep = (cfg: typeof service) =>
        new SurveySweeper({
          store: s,
          wecom: api,
          settings: async () => cfg,
          owner: 'i1',
          logger: log,
        }).sweep();
      assert.equal(await sweep(off), 0);
      // Budget: five sends since the customer's message (logged directly in sent_log here).
      const db = (
        s as unknown as {
          db: {
            run: (q: unknown) => Promise<number>;
            qb: import('kysely').Kysely<import('../../src/store/sql/schema.js').DB>;
          };
        }
      ).db;
      for (let i = 0; i < 5; i++)
        await db.run(
          db.qb.insertInto('sent_log').values({
            out_msgid: `spent-${engine.name}-${i}`,
            open_kfid: KF,
            external_userid: user,
            sent_at: Date.now(),
            inbound_msgid: null,
          }),
        );
      assert.equal(await sweep(service), 0);
      assert.equal(fake.sentTo(user).length, 0);
    });
  });
