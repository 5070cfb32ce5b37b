/**
 * Nothing missed while down: a message whose callback WeCom never sends is still answered, by the
 * pull wxcoze makes when an account has been idle for WXCOZE_IDLE_PULL_S (1 s here). Runs on the
 * embedded store here and on MariaDB + Redis through test/integration/mysql/idle-pull.mysql.test.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

test('a message whose callback never came is answered by the idle pull, exactly once', async () => {
  const h = await startHarness({ WXCOZE_IDLE_PULL_S: '1' });
  harnesses.push(h);
  // The account is known from an ordinary message (callback delivered).
  await h.wecom.customerSends(KF, 'wmIdleFirst', { text: '你好' });
  await waitFor('the first answer', () => h.wecom.sentTo('wmIdleFirst').length === 1);

  // The callback of this one is lost: WeCom holds the message, nobody tells wxcoze.
  await h.wecom.customerSends(KF, 'wmIdleLost', { text: '回调丢了也要回答' }, { notify: false });
  await waitFor(
    'the answer to the message whose callback was lost',
    () => h.wecom.sentTo('wmIdleLost').length > 0,
    30_000,
  );
  const sent = h.wecom.sentTo('wmIdleLost');
  assert.equal(sent.length, 1);
  assert.match(String(sent[0]!.content), /回调丢了也要回答/);
  // Later idle pulls find it stored already: it is not answered again.
  await settle(2500);
  assert.equal(h.wecom.sentTo('wmIdleLost').length, 1);
});
