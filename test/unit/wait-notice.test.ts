import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { WaitNotice, waitNoticeMsgid } from '../../src/pipeline/wait-notice.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { waitFor } from '../helpers/harness.js';
import { storeEngines } from '../helpers/store-engines.js';
import { KF, USER, startHarness } from '../helpers/wecom-fake.js';

const engines = await storeEngines('wxcoze-notice-');
const log = pino({ level: 'silent' });
const settings = { waitNotice: true, waitNoticeMs: 10, waitNoticeText: '正在为您查询，请稍候…' };

for (const engine of engines)
  describe(`waiting notice on ${engine.name}`, { skip: engine.skip }, () => {
    const wecom = startHarness();
    after(async () => (await wecom).close());

    test('a second attempt at the same message (a retry, another instance) still shows one notice, counted once', async () => {
      const { fake, api } = await wecom;
      const s = await engine.open();
      const user = `${USER.slice(0, -6)}${engine.name.padEnd(6, '0')}`;
      // The customer wrote (WeCom's 48-hour window is open), and the message is in the inbox.
      await fake.customerSends(KF, user, { text: '在吗' }, { notify: false });
      const m: NewInboxMessage = {
        msgid: `m-${engine.name}`,
        openKfId: KF,
        externalUserId: user,
        origin: 3,
        msgtype: 'text',
        sendTime: Math.floor(Date.now() / 1000) - 1,
        payload: { text: { content: '在吗' } },
        state: 'received',
      };
      await s.commitPage(KF, 'c1', [m], Date.now());
      const sends = () => fake.calls.filter((c) => c.path === '/cgi-bin/kf/send_msg').length;

      for (const owner of ['w1', 'w2']) {
        // Each attempt holds the lease, as a worker does (the first one's ran out: a crash).
        const [item] = await s.claim({ owner, leaseMs: 60_000, limit: 1, now: Date.now() });
        assert.ok(item, `claimed by ${owner}`);
        const before = sends();
        const notice = WaitNotice.start(item, settings, { store: s, wecom: api, owner }, log);
        await waitFor('the notice attempt', () => sends() > before);
        await notice!.stop();
        await s.releaseLease(item.msgid, owner);
      }
      assert.equal(sends(), 2, 'both attempts tried');
      const shown = fake.sentTo(user);
      assert.equal(shown.length, 1, 'WeCom refused the second as a duplicate');
      assert.equal(shown[0]!.msgid, waitNoticeMsgid(m.msgid));
      assert.equal(shown[0]!.content, settings.waitNoticeText);
      assert.equal(await s.budgetUsed(KF, user), 1);
    });

    test('no notice once the answer is stored', async () => {
      const { fake, api } = await wecom;
      const s = await engine.open();
      const user = `${USER.slice(0, -6)}${engine.name.padEnd(5, '0')}x`;
      await fake.customerSends(KF, user, { text: '你好' }, { notify: false });
      await s.commitPage(
        KF,
        'c1',
        [
          {
            msgid: `a-${engine.name}`,
            openKfId: KF,
            externalUserId: user,
            origin: 3,
            msgtype: 'text',
            sendTime: Math.floor(Date.now() / 1000) - 1,
            payload: {},
            state: 'received',
          },
        ],
        Date.now(),
      );
      const [item] = await s.claim({ owner: 'w1', leaseMs: 60_000, limit: 1, now: Date.now() });
      await s.saveAnswer(item!.msgid, 'w1', [{ kind: 'text', content: '你好！' }], null, Date.now());
      const notice = WaitNotice.start(item!, settings, { store: s, wecom: api, owner: 'w1' }, log);
      await new Promise((r) => setTimeout(r, 200));
      await notice!.stop();
      assert.equal(fake.sentTo(user).length, 0);
    });
  });
