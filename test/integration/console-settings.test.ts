/**
 * Settings an owner changes in the console take effect on the next message, without a restart:
 * on the instance that saved them at once, and on every other instance sharing the store within
 * seconds (each polls the store's settings version).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { DEFAULTS_SCOPE, saveSettings, type ChangeInput } from '../../src/config/console-settings.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import {
  backendEnv,
  KF,
  KF_2,
  serverEnv,
  startFakes,
  startHarness,
  tempDir,
  waitFor,
  type Harness,
} from '../helpers/harness.js';
import { requireMysql } from '../helpers/requirements.js';

let h: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
});

const save = (server: RunningServer, changes: ChangeInput[]) =>
  saveSettings(
    { store: server.store.consoleSettings, reloadPipeline: () => server.pipeline.reloadSettings() },
    changes,
    [KF, KF_2],
    'owner',
    Date.now(),
  );

test('handoff words, handoff text and the welcome changed in the console apply to the next message, no restart', async () => {
  h = await startHarness({ WXCOZE_WELCOME_TEXT: '旧的欢迎语' });
  const texts = (user: string) => h!.wecom.sentTo(user).map((s) => s.content);

  await h.wecom.customerSends(KF, 'wmS1', { text: '找老板' });
  await waitFor('the bot answers', () => texts('wmS1').length === 1);
  assert.equal(h.coze.chats.length, 1, '"找老板" is not a handoff word yet');

  const saved = await save(h.server, [
    { scope: KF, key: 'handoffKeywords', value: '找老板，人工' },
    { scope: KF, key: 'handoffText', value: '老板马上来。' },
    { scope: DEFAULTS_SCOPE, key: 'welcomeText', value: '新的欢迎语' },
  ]);
  assert.ok(saved.ok);

  await h.wecom.customerSends(KF, 'wmS1', { text: '找老板' });
  await waitFor('the handoff', () => texts('wmS1').length === 2);
  assert.equal(texts('wmS1')[1], '老板马上来。');
  assert.equal(h.coze.chats.length, 1, 'the handoff word is not sent to the bot');
  await waitFor('handed to a human', () =>
    h!.wecom.calls.some((c) => c.path.endsWith('service_state/trans')),
  );
  // Only that account: the other one keeps the file's words.
  await h.wecom.customerSends(KF_2, 'wmS2', { text: '找老板' });
  await waitFor('the other account answers', () => texts('wmS2').length === 1);
  assert.equal(h.coze.chats.length, 2);

  await h.wecom.addEvent(KF, {
    event_type: 'enter_session',
    open_kfid: KF,
    external_userid: 'wmS3',
    welcome_code: 'CODE_S3',
  });
  await waitFor('the welcome', () => h!.wecom.sent.some((s) => s.via === 'send_msg_on_event'));
  assert.equal(h.wecom.sent.find((s) => s.via === 'send_msg_on_event')?.content, '新的欢迎语');

  // Back to the file's value: the word is an ordinary question again.
  assert.ok((await save(h.server, [{ scope: KF, key: 'handoffKeywords', value: null }])).ok);
  await h.wecom.customerSends(KF, 'wmS4', { text: '找老板' });
  await waitFor('the bot answers again', () => texts('wmS4').length === 1);
  assert.equal(h.coze.chats.length, 3);
});

test('an invalid setting is refused with the config file’s words, and nothing of the batch is stored', async () => {
  h = await startHarness();
  const r = await save(h.server, [
    { scope: DEFAULTS_SCOPE, key: 'welcomeText', value: '你好' },
    { scope: DEFAULTS_SCOPE, key: 'welcomeMenu', value: 'a,b,c,d,e,f,g,h,i,j,k' },
    { scope: DEFAULTS_SCOPE, key: 'quietHours', value: '22点到8点' },
    { scope: KF, key: 'botId', value: 'abc' },
  ]);
  assert.equal(r.ok, false);
  const problems = r.ok ? [] : r.problems;
  assert.deepEqual(
    problems.map((p) => [p.key, p.problemZh]),
    [
      ['welcomeMenu', '按钮最多 10 个'],
      ['quietHours', '格式应为 22:00-08:00（留空表示全天回复）'],
      ['botId', '不是扣子（Coze）的 ID：只能是数字'],
    ],
  );
  assert.match(problems[0]!.problem, /WXCOZE_WELCOME_MENU.*more than 10 buttons/);
  assert.deepEqual(await h.server.store.consoleSettings.list(), []);
});

// Run once, from the embedded suite (the MariaDB entry of this file would only repeat it).
const needsMysql =
  process.env.WXCOZE_TEST_BACKEND === 'mysql' ? 'runs from the embedded suite' : await requireMysql();

test(
  'two instances on MariaDB + Redis: a change saved through one applies on the other without a restart',
  { skip: needsMysql, timeout: 120_000 },
  async () => {
    process.env.WXCOZE_TEST_BACKEND = 'mysql';
    const fakes = await startFakes();
    closers.push(
      () => fakes.wecom.close(),
      () => fakes.coze.close(),
    );
    const backend = await backendEnv();
    closers.push(backend.cleanup);
    const servers: RunningServer[] = [];
    for (let n = 0; n < 2; n++) {
      const dataDir = tempDir();
      const { config, problems } = loadConfig({ env: serverEnv(fakes, dataDir, backend.env), cwd: dataDir });
      assert.deepEqual(problems, []);
      const s = await startServer(config, createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' }));
      servers.push(s);
      closers.push(() => s.stop(2000));
    }
    const [a, b] = servers as [RunningServer, RunningServer];
    // Callbacks reach B only; the owner saves on A.
    fakes.wecom.setCallbackUrl(`${b.url}/wechat/hook`);
    assert.ok((await save(a, [{ scope: KF, key: 'handoffText', value: '请稍等，店长来了。' }])).ok);
    assert.ok((await save(a, [{ scope: KF, key: 'handoffKeywords', value: '店长' }])).ok);

    // B notices within its poll interval; each try is a new customer asking for the manager.
    let n = 0;
    await waitFor(
      'instance B to apply the change',
      async () => {
        const user = `wmMulti${++n}`;
        await fakes.wecom.customerSends(KF, user, { text: '店长在吗' });
        await waitFor(`an answer to ${user}`, () => fakes.wecom.sentTo(user).length >= 1, 30_000);
        return fakes.wecom.sentTo(user)[0]?.content === '请稍等，店长来了。';
      },
      60_000,
      500,
    );
  },
);
