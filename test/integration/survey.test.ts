import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Menu {
  head_content: string;
  list: { type: string; click: { id: string; content: string } }[];
}
const menus = (user: string) =>
  h!.wecom
    .sentTo(user)
    .filter((s) => s.msgtype === 'msgmenu')
    .map((s) => s.payload as Menu);

test('a quiet conversation gets one survey; the click is stored as a rating, never asked of Coze', async () => {
  h = await startHarness({ WXCOZE_SURVEY: 'on', WXCOZE_SURVEY_QUIET_MS: '600' });
  h.coze.setResponder(() => '已为您查到，明天送达。');
  await h.wecom.customerSends(KF, 'wmRate', { text: '快递什么时候到？' });
  // At least one: on a loaded machine the survey (600 ms of quiet later) may already follow it.
  const answers = () => h!.wecom.sentTo('wmRate').filter((s) => s.msgtype === 'text');
  await waitFor('the answer', () => answers().length >= 1);
  const menu = (await waitFor('the survey', () => menus('wmRate')[0], 20_000))!;
  assert.equal(answers().length, 1, 'answered once');
  assert.equal(menu.head_content, '请您为本次服务评分：');
  assert.deepEqual(
    menu.list.map((i) => i.click.content),
    ['非常满意', '满意', '一般', '不满意'],
  );
  // Several sweeps later: still one survey.
  await settle(1500);
  assert.equal(menus('wmRate').length, 1);

  const good = menu.list[1]!.click;
  await h.wecom.customerSends(KF, 'wmRate', {
    msgtype: 'text',
    payload: { content: good.content, menu_id: good.id },
  });
  const counts = await waitFor('the rating', async () => {
    const c = await h!.server.store.surveys.ratingCounts({ from: 0, to: Date.now() + 60_000 });
    return c.length ? c : undefined;
  });
  assert.deepEqual(counts, [{ rating: 2, label: '满意', n: 1 }]);
  // The click went to nobody: Coze saw one question, the customer got no answer to it and, past
  // the quiet time again, no second survey.
  await settle(1500);
  assert.equal(h.coze.chats.length, 1);
  assert.equal(h.wecom.sentTo('wmRate').length, 2);
});

test('off by default: a quiet conversation gets no survey', async () => {
  h = await startHarness({ WXCOZE_SURVEY_QUIET_MS: '300' });
  h.coze.setResponder(() => '好的。');
  await h.wecom.customerSends(KF, 'wmNoSurvey', { text: '谢谢' });
  await waitFor('the answer', () => h!.wecom.sentTo('wmNoSurvey').length === 1);
  await settle(1500);
  assert.deepEqual(menus('wmNoSurvey'), []);
});

test('a servicer ending the session: the survey goes on its msg_code, once', async () => {
  h = await startHarness({ WXCOZE_SURVEY: 'on', WXCOZE_SURVEY_QUIET_MS: '600000' });
  await h.wecom.customerSends(KF, 'wmHuman', { text: '转人工' });
  await waitFor('the handoff', () => h!.wecom.getSessionState(KF, 'wmHuman') >= 2);
  await h.wecom.addEvent(KF, {
    event_type: 'session_status_change',
    open_kfid: KF,
    external_userid: 'wmHuman',
    change_type: 3,
    msg_code: 'END_CODE_1',
  });
  const menu = (await waitFor('the survey', () => menus('wmHuman')[0]))!;
  const sent = h.wecom.sentTo('wmHuman').filter((s) => s.msgtype === 'msgmenu');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.via, 'send_msg_on_event');
  const bad = menu.list[3]!.click;
  await h.wecom.customerSends(KF, 'wmHuman', {
    msgtype: 'text',
    payload: { content: bad.content, menu_id: bad.id },
  });
  await waitFor('the rating', async () => {
    const c = await h!.server.store.surveys.ratingCounts({ from: 0, to: Date.now() + 60_000 });
    return c.some((r) => r.rating === 4 && r.n === 1);
  });
});
