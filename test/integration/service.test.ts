/**
 * Customer service the way a business runs it: welcome, human handoff (asked by the customer or
 * by the bot), a human servicer pausing the AI, several accounts with their own bots, every
 * message type, recalls, /reset, follow-up menus, quiet hours and once-per-customer notices.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  BOT_ID,
  BOT_ID_2,
  KF,
  KF_2,
  settle,
  startHarness,
  waitFor,
  type Harness,
} from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const texts = (user: string) => h!.wecom.sentTo(user).map((s) => s.content);
const calls = (path: string) => h!.wecom.calls.filter((c) => c.path.endsWith(path));
const lastUserText = (chat: { messages: unknown[] }) =>
  (chat.messages.at(-1) as { content: unknown }).content;

test('a customer entering gets the welcome once, with its code and menu', async () => {
  h = await startHarness({
    WXCOZE_WELCOME_TEXT: '您好，欢迎光临！',
    WXCOZE_WELCOME_MENU: '营业时间,门店地址',
  });
  await h.wecom.addEvent(KF, {
    event_type: 'enter_session',
    open_kfid: KF,
    external_userid: 'wmWelcome',
    scene: 'shop',
    welcome_code: 'WELCOME_CODE_1',
  });
  await waitFor('the welcome', () => h!.wecom.sent.some((s) => s.via === 'send_msg_on_event'));
  await h.wecom.deliverCallback(KF); // a replayed callback
  await settle(500);
  const welcomes = h.wecom.sent.filter((s) => s.via === 'send_msg_on_event');
  assert.equal(welcomes.length, 1);
  assert.equal(welcomes[0]!.msgtype, 'msgmenu');
  const menu = welcomes[0]!.payload as { head_content: string; list: { click: { content: string } }[] };
  assert.equal(menu.head_content, '您好，欢迎光临！');
  assert.deepEqual(
    menu.list.map((i) => i.click.content),
    ['营业时间', '门店地址'],
  );
  assert.equal(calls('send_msg_on_event')[0]!.body.code, 'WELCOME_CODE_1');
  assert.equal(h.coze.chats.length, 0);
});

test('a trigger word hands the session to the queue; the AI is silent until the session ends, then answers again', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmHand', { text: '我要转人工' });
  await waitFor('the handoff', () => calls('service_state/trans').length === 1);
  const trans = calls('service_state/trans')[0]!.body;
  assert.equal(trans.service_state, 2, 'to the queue');
  assert.equal(trans.external_userid, 'wmHand');
  assert.deepEqual(
    texts('wmHand'),
    ['正在为您转接人工客服，请稍候。'],
    'the customer is told, before the handoff',
  );
  assert.equal(h.coze.chats.length, 0);

  await h.wecom.customerSends(KF, 'wmHand', { text: '有人吗？' });
  await settle(600);
  assert.equal(h.coze.chats.length, 0, 'silent while a human serves');
  assert.equal(texts('wmHand').length, 1);

  // The servicer ends the session in the WeCom client.
  h.wecom.setSessionState(KF, 'wmHand', 4);
  await h.wecom.addEvent(KF, {
    event_type: 'session_status_change',
    open_kfid: KF,
    external_userid: 'wmHand',
    change_type: 3,
    old_servicer_userid: 'zhangsan',
    msg_code: 'END_CODE',
  });
  await settle(300);
  await h.wecom.customerSends(KF, 'wmHand', { text: '再问一个问题' });
  await waitFor('the AI again', () => texts('wmHand').length === 2);
  assert.equal(texts('wmHand')[1], '收到：再问一个问题');
});

test('the bot asking for a human (the marker) hands over after its answer, marker removed', async () => {
  h = await startHarness({ WXCOZE_HANDOFF_SERVICER: 'zhangsan' });
  h.wecom.setSessionState(KF, 'wmMark', 0);
  h.coze.setResponder(() => '这个问题需要人工处理。[[转人工]]');
  await h.wecom.customerSends(KF, 'wmMark', { text: '退款怎么办' });
  await waitFor('the handoff', () => calls('service_state/trans').length === 1);
  assert.deepEqual(texts('wmMark'), ['这个问题需要人工处理。', '正在为您转接人工客服，请稍候。']);
  const trans = calls('service_state/trans')[0]!.body;
  assert.equal(trans.service_state, 3);
  assert.equal(trans.servicer_userid, 'zhangsan');
});

test('a message from a human servicer (origin 5) pauses the AI for that customer only', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmPaused', { text: '您好，我是客服小王' }, { origin: 5 });
  await h.wecom.customerSends(KF, 'wmPaused', { text: '好的谢谢' });
  await h.wecom.customerSends(KF, 'wmOther', { text: '你好' });
  await waitFor('the other customer answered', () => texts('wmOther').length === 1);
  await settle(500);
  assert.equal(texts('wmPaused').length, 0);
  assert.equal(h.coze.chats.length, 1);
});

test('two accounts are routed to two bots, each with its own welcome', async () => {
  h = await startHarness({
    WXCOZE_ACCOUNTS: JSON.stringify({ [KF_2]: { botId: BOT_ID_2, welcomeText: '售后服务，请讲' } }),
    WXCOZE_WELCOME_TEXT: '您好',
  });
  await h.wecom.customerSends(KF, 'wmA1', { text: '售前问题' });
  await h.wecom.customerSends(KF_2, 'wmA2', { text: '售后问题' });
  await waitFor('both answered', () => texts('wmA1').length === 1 && texts('wmA2').length === 1);
  const bots = Object.fromEntries(h.coze.chats.map((c) => [String(lastUserText(c)), c.botId]));
  assert.equal(bots['售前问题'], BOT_ID);
  assert.equal(bots['售后问题'], BOT_ID_2);
  assert.equal(h.wecom.sentTo('wmA2')[0]!.open_kfid, KF_2);
  await h.wecom.addEvent(KF_2, {
    event_type: 'enter_session',
    open_kfid: KF_2,
    external_userid: 'wmA3',
    welcome_code: 'W2',
  });
  await waitFor('the welcome', () => h!.wecom.sent.some((s) => s.via === 'send_msg_on_event'));
  assert.equal(h.wecom.sent.find((s) => s.via === 'send_msg_on_event')!.content, '售后服务，请讲');
});

test('several accounts keep separate cursors: a second account is pulled on its own', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmC1', { text: 'one' });
  await h.wecom.customerSends(KF_2, 'wmC2', { text: 'two' });
  await waitFor('both', () => texts('wmC1').length === 1 && texts('wmC2').length === 1);
  const accounts = await h.server.store.listAccounts();
  assert.deepEqual(accounts.map((a) => a.openKfId).sort(), [KF, KF_2].sort());
  assert.ok(accounts.every((a) => a.cursor));
});

test("voice: transcribed when Coze can read it; the polite voice text when it cannot (WeCom's AMR, no ffmpeg)", async () => {
  // No converter here: AMR cannot be made into what Coze transcribes (test/integration/voice.test.ts has ffmpeg).
  h = await startHarness({ WXCOZE_FFMPEG: '/nonexistent/ffmpeg' });
  const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(200, 1)]);
  h.coze.setTranscriber((f) => (f.data.subarray(0, 4).toString() === 'OggS' ? '我想查询订单' : null));
  await h.wecom.customerSends(KF, 'wmOgg', { media: ogg, msgtype: 'voice', contentType: 'audio/ogg' });
  await waitFor('the answer', () => texts('wmOgg').length === 1);
  assert.equal(texts('wmOgg')[0], '收到：我想查询订单', 'Coze was asked the transcribed words');
  const amr = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(200, 2)]);
  await h.wecom.customerSends(KF, 'wmAmr', { media: amr, msgtype: 'voice', contentType: 'audio/amr' });
  await waitFor('the polite text', () => texts('wmAmr').length === 1);
  assert.match(texts('wmAmr')[0]!, /语音/);
  assert.equal(h.coze.chats.length, 1);
});

test('a file reaches Coze as an uploaded file next to a text item', async () => {
  h = await startHarness();
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(300, 32)]);
  await h.wecom.customerSends(KF, 'wmFile', {
    media: pdf,
    msgtype: 'file',
    contentType: 'application/pdf',
    filename: '报价单.pdf',
  });
  await waitFor('the answer', () => texts('wmFile').length === 1);
  const [file] = [...h.coze.files.values()];
  assert.equal(file!.name, '报价单.pdf');
  assert.deepEqual(file!.data, pdf);
  const m = h.coze.chats[0]!.messages.at(-1) as { content_type: string; content: unknown };
  assert.equal(m.content_type, 'object_string');
  const items = (typeof m.content === 'string' ? JSON.parse(m.content) : m.content) as {
    type: string;
    file_id?: string;
  }[];
  assert.ok(items.some((i) => i.type === 'file' && i.file_id === [...h!.coze.files.keys()][0]));
});

test('a recalled message is not answered', async () => {
  h = await startHarness();
  h.coze.setResponder(() => ({ text: '慢慢的回答', delayMs: 800 }));
  const msgid = await h.wecom.customerSends(KF, 'wmRecall', { text: '发错了' });
  await waitFor('Coze asked', () => h!.coze.chats.length === 1);
  await h.wecom.addEvent(KF, {
    event_type: 'user_recall_msg',
    open_kfid: KF,
    external_userid: 'wmRecall',
    recall_msgid: msgid,
  });
  await settle(1500);
  assert.equal(texts('wmRecall').length, 0);
  assert.equal((await h.server.store.get(msgid))!.state, 'cancelled');
});

test('/reset starts a new Coze conversation', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmReset', { text: '第一段' });
  await waitFor('reply 1', () => texts('wmReset').length === 1);
  await h.wecom.customerSends(KF, 'wmReset', { text: '/reset' });
  await waitFor('reset reply', () => texts('wmReset').length === 2);
  assert.match(texts('wmReset')[1]!, /重新开始/);
  await h.wecom.customerSends(KF, 'wmReset', { text: '第二段' });
  await waitFor('reply 3', () => texts('wmReset').length === 3);
  const [c1, c2] = h.coze.chats;
  assert.equal(h.coze.chats.length, 2, '/reset itself is not sent to Coze');
  assert.equal(c1!.userId, c2!.userId);
  assert.notEqual(c1!.conversationId, c2!.conversationId);
});

test("Coze's follow-up suggestions become a clickable menu when the account enables it", async () => {
  h = await startHarness({ WXCOZE_FOLLOWUP_MENU: 'on' });
  h.coze.setResponder(() => ({ text: '我们提供送货上门。', followUps: ['运费多少？', '多久送到？'] }));
  await h.wecom.customerSends(KF, 'wmMenu', { text: '能送货吗' });
  await waitFor('answer and menu', () => h!.wecom.sentTo('wmMenu').length === 2);
  const [answer, menu] = h.wecom.sentTo('wmMenu');
  assert.equal(answer!.content, '我们提供送货上门。');
  assert.equal(menu!.msgtype, 'msgmenu');
  const list = (menu!.payload as { list: { type: string; click: { content: string } }[] }).list;
  assert.deepEqual(
    list.map((i) => [i.type, i.click.content]),
    [
      ['click', '运费多少？'],
      ['click', '多久送到？'],
    ],
  );
});

test('a follow-up label over 128 bytes is cut between characters, never inside an emoji', async () => {
  h = await startHarness({ WXCOZE_FOLLOWUP_MENU: 'on' });
  const label = `${'a'.repeat(125)}😀`; // 129 bytes: the emoji must go whole
  h.coze.setResponder(() => ({ text: '好的。', followUps: [label] }));
  await h.wecom.customerSends(KF, 'wmEmoji', { text: '还有吗' });
  await waitFor('answer and menu', () => h!.wecom.sentTo('wmEmoji').length === 2);
  const menu = h.wecom.sentTo('wmEmoji')[1]!;
  assert.equal(menu.msgtype, 'msgmenu');
  const list = (menu.payload as { list: { click: { content: string } }[] }).list;
  assert.deepEqual(
    list.map((i) => i.click.content),
    ['a'.repeat(125)],
  );
});

test('outside service hours one notice per customer, not per message, and Coze is not asked', async () => {
  const now = new Date(Date.now() + 8 * 3600_000); // the default offset is UTC+8
  const hh = (d: Date) =>
    `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const start = hh(new Date(now.getTime() - 3600_000));
  const end = hh(new Date(now.getTime() + 3600_000));
  h = await startHarness({ WXCOZE_QUIET_HOURS: `${start}-${end}`, WXCOZE_QUIET_TEXT: '现在是休息时间' });
  await h.wecom.customerSends(KF, 'wmNight', { text: '在吗' });
  await h.wecom.customerSends(KF, 'wmNight', { text: '在吗？？' });
  await waitFor('the notice', () => texts('wmNight').length === 1);
  await settle(600);
  assert.deepEqual(texts('wmNight'), ['现在是休息时间']);
  assert.equal(h.coze.chats.length, 0);
});

test('Coze unreachable: the apology goes to a customer once, not once per message', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '2', WXCOZE_APOLOGY_TEXT: '系统繁忙' });
  h.coze.failNext(100, 'http500');
  await h.wecom.customerSends(KF, 'wmDown2', { text: '一' });
  await waitFor('first failed', async () => (await inboxStates(h!.server.store)).failed === 1, 15_000);
  await h.wecom.customerSends(KF, 'wmDown2', { text: '二' });
  await waitFor('second failed', async () => (await inboxStates(h!.server.store)).failed === 2, 15_000);
  await settle(300);
  assert.deepEqual(texts('wmDown2'), ['系统繁忙']);
});

test('msg_send_fail is recorded against the reply it concerns', async () => {
  h = await startHarness();
  const msgid = await h.wecom.customerSends(KF, 'wmFail', { text: '你好' });
  await waitFor('the reply', () => texts('wmFail').length === 1);
  const out = h.wecom.sentTo('wmFail')[0]!.msgid;
  await h.wecom.addEvent(KF, {
    event_type: 'msg_send_fail',
    open_kfid: KF,
    external_userid: 'wmFail',
    fail_msgid: out,
    fail_type: 5,
  });
  await waitFor('the note', async () => /fail_type 5/.test((await h!.server.store.get(msgid))!.note ?? ''));
  assert.match((await h.server.store.get(msgid))!.note!, /session closed/);
});
