// wxcoze signed in to Coze as an OAuth service app: the real server against the fakes, whose Coze
// issues tokens that live seconds. Customers are answered while tokens come and go; switching from
// the access token to the app keeps a customer's conversation where Coze lets the app reach it, and
// starts a new one quietly where it does not.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { fakeOAuthApp, OAUTH_APP_ID, OAUTH_KEY_ID, writeKeyFile } from '../helpers/coze-oauth.js';
import {
  backendEnv,
  BOT_ID,
  KF,
  serverEnv,
  settle,
  startFakes,
  tempDir,
  waitFor,
  type FakeCoze,
  type FakeWecom,
} from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

const APOLOGY = '抱歉，系统暂时无法回答';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  cleanup = [];
});

/** The fakes (Coze with the OAuth app) and a data directory with the app's private key in it. */
async function setup(coze: Parameters<typeof startFakes>[0]) {
  const fakes = await startFakes(coze);
  const dataDir = tempDir();
  const backend = await backendEnv();
  cleanup.push(async () => {
    await fakes.wecom.close();
    await fakes.coze.close();
    await backend.cleanup();
  });
  const oauthEnv = {
    COZE_API_TOKEN: '',
    COZE_JWT_OAUTH_CLIENT_ID: OAUTH_APP_ID,
    COZE_JWT_OAUTH_PUBLIC_KEY_ID: OAUTH_KEY_ID,
    COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: writeKeyFile(dataDir),
  };
  return { ...fakes, dataDir, backend: backend.env, oauthEnv };
}

/** The real server on `dataDir` with `env` over the harness's; stopped after the test (or by the caller). */
async function serve(
  s: { wecom: FakeWecom; coze: FakeCoze; dataDir: string; backend: Record<string, string> },
  env: Record<string, string>,
): Promise<RunningServer> {
  const { config, problems } = loadConfig({
    env: serverEnv(s, s.dataDir, { WXCOZE_APOLOGY_TEXT: APOLOGY, ...s.backend, ...env }),
    cwd: s.dataDir,
  });
  assert.deepEqual(problems, []);
  const server = await startServer(config, createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' }));
  let stopped = false;
  const stop = server.stop.bind(server);
  server.stop = async (ms?: number) => {
    if (stopped) return;
    stopped = true;
    await stop(ms);
  };
  cleanup.push(() => server.stop(2000));
  s.wecom.setCallbackUrl(`${server.url}/wechat/hook`);
  return server;
}

/** One message from `who`, and its answer (the texts sent to `who` after it). */
async function converse(wecom: FakeWecom, who: string, text: string): Promise<string> {
  const before = wecom.sentTo(who).length;
  await wecom.customerSends(KF, who, { text });
  await waitFor(`the answer to ${text}`, () => wecom.sentTo(who).length > before, 20_000);
  return wecom
    .sentTo(who)
    .slice(before)
    .map((m) => m.content ?? '')
    .join('\n');
}

test('OAuth: tokens are refreshed before they expire, and no chat fails, not even when Coze drops a token early', async () => {
  // Tokens live 3 seconds: a refresh every second or two while customers keep writing.
  const s = await setup({ oauth: fakeOAuthApp(3) });
  const server = await serve(s, s.oauthEnv);
  const answers: string[] = [];
  let n = 0;
  const deadline = Date.now() + 90_000;
  while (s.coze.oauthTokensIssued < 4) {
    assert.ok(Date.now() < deadline, `only ${s.coze.oauthTokensIssued} tokens issued`);
    n += 1;
    // One customer per message: WeCom's send_time has whole seconds, so wxcoze counts every reply sent
    // in the second of a customer's latest message against that customer's 5-reply budget. A machine
    // fast enough to run many rounds a second would otherwise spend one customer's budget (95001).
    answers.push(await converse(s.wecom, `wmOAuth${n}`, `第${n}条`));
  }
  assert.equal(s.coze.authRefusals, 0, 'no request ever reached Coze with an expired token');
  // Coze drops every token before its time: the next chat is refused once, gets a new token, goes through.
  s.coze.expireOAuthTokens();
  n += 1;
  answers.push(await converse(s.wecom, `wmOAuth${n}`, `第${n}条`));
  assert.equal(s.coze.authRefusals, 1);
  answers.forEach((a, i) => assert.equal(a, `收到：第${i + 1}条`));
  assert.ok(!answers.some((a) => a.includes(APOLOGY)));
  assert.equal((await inboxStates(server.store)).failed ?? 0, 0);
  // Each chat carried a token of the app.
  assert.ok(s.coze.tokenRequests.every((r) => r.outcome === 'issued'));
});

/** A customer talks with the access token, wxcoze restarts as the OAuth app, the customer writes again. */
async function switchToApp(conversationOwner: 'account' | 'credential') {
  const s = await setup({ oauth: fakeOAuthApp(), conversationOwner });
  const first = await serve(s, {});
  assert.equal(await converse(s.wecom, 'wmSwitch', '你好'), '收到：你好');
  const before = s.coze.chats.at(-1)!.conversationId;
  await first.stop(2000);
  const second = await serve(s, s.oauthEnv);
  const answer = await converse(s.wecom, 'wmSwitch', '还记得我吗');
  await settle(300);
  const after = s.coze.chats.at(-1)!;
  return { s, second, before, after, answer };
}

test('switching from the token to the OAuth app keeps the conversation where Coze lets the app reach it', async () => {
  const { s, before, after, answer } = await switchToApp('account');
  assert.equal(answer, '收到：还记得我吗');
  assert.equal(after.conversationId, before, 'the same Coze conversation: the bot remembers');
  assert.equal(s.coze.conversations.get(before)!.messages.length, 4, 'both turns in it');
});

test('switching to an app that cannot reach the old conversation starts a new one, with no failure and no apology', async () => {
  const { s, second, before, after, answer } = await switchToApp('credential');
  assert.equal(answer, '收到：还记得我吗', 'answered, not apologised');
  assert.notEqual(after.conversationId, before);
  assert.equal(s.coze.conversations.get(after.conversationId)!.owner, `oauth:${OAUTH_APP_ID}`);
  assert.equal(s.wecom.sentTo('wmSwitch').length, 2, 'one answer per message');
  const counts = await inboxStates(second.store);
  assert.equal(counts.failed ?? 0, 0);
  // The next message goes straight to the new conversation.
  assert.equal(await converse(s.wecom, 'wmSwitch', '第三句'), '收到：第三句');
  assert.equal(s.coze.chats.at(-1)!.conversationId, after.conversationId);
  assert.equal(s.coze.chats.at(-1)!.botId, BOT_ID);
});
