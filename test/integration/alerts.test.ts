/**
 * Alerts against the real server and the fakes, alerts going to the fake WeCom group robot: each
 * condition driven by making a fake fail (Coze refusing the token, Coze down, WeCom answering
 * 60020 or 48002, a message failing for good, Coze held so messages wait, a handoff nobody picks
 * up) raises one alert when it starts and one recovery when it clears, nothing more. And
 * `wxcoze alerts test` says whether the robot took its sample, and why not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, test } from 'node:test';
import pino from 'pino';
import { alertsTest } from '../../src/cli/commands/alerts.js';
import { hashPassword } from '../../src/console/auth/password.js';
import { loggerOptions, type Logger } from '../../src/log/logger.js';
import { CONDITIONS } from '../../src/ops/alerts/conditions.js';
import { COZE_TOKEN, KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await h?.close();
  h = undefined;
});

const ROBOT_KEY = 'alerts-it-0001-robot-key';

/** The real server with alerts to the fake robot, looked at every 200 ms; `env` sets the thresholds. */
async function start(env: Record<string, string> = {}, logger?: Logger): Promise<Harness> {
  h = await startHarness(
    (fakes) => ({
      WXCOZE_ALERT_WEBHOOK: fakes.wecom.robots.add(ROBOT_KEY),
      WXCOZE_ALERT_CHECK_MS: '200',
      ...env,
    }),
    {
      ...(logger ? { logger } : {}),
      // The machine's disk and the (absent) public certificate are not this test's business.
      alertReaders: {
        disk: async () => ({ dir: '/data', usedPercent: 10, freeBytes: 100 * 1024 ** 3 }),
        cert: async () => null,
      },
    },
  );
  return h;
}

const title = (id: string) => CONDITIONS.find((c) => c.id === id)!.titleZh;
const received = () => h!.wecom.robots.received.filter((m) => m.key === ROBOT_KEY).map((m) => m.content);
/** What the robot was told about one condition, in order: 'firing' / 'resolved'. */
function told(id: string): string[] {
  return received()
    .filter((t) => t.split('\n')[0]!.endsWith(`】${title(id)}`))
    .map((t) => (t.startsWith('【wxcoze 告警】') ? 'firing' : 'resolved'));
}
const alertText = (id: string) => received().find((t) => t.startsWith(`【wxcoze 告警】${title(id)}`))!;

/** Waits for the alert, then for its recovery after `clear`, then checks nothing else came. */
async function oneAlertOneRecovery(id: string, clear: () => unknown, timeoutMs = 30_000): Promise<string> {
  await waitFor(`the ${id} alert`, () => told(id).length >= 1, timeoutMs);
  // Many rounds while it holds: still one alert.
  await settle(1_500);
  assert.deepEqual(told(id), ['firing'], `${id}: one alert while it holds`);
  const text = alertText(id);
  await clear();
  await waitFor(`the ${id} recovery`, () => told(id).length >= 2, timeoutMs);
  await settle(1_500);
  assert.deepEqual(told(id), ['firing', 'resolved'], `${id}: one recovery`);
  return text;
}

test('Coze refuses the token (4100): one alert at once, one recovery when the token works again', async () => {
  await start();
  h!.coze.setToken('pat_revoked_by_the_owner');
  const text = await oneAlertOneRecovery('coze_auth', () => h!.coze.setToken(COZE_TOKEN));
  assert.match(text, /Coze 拒绝了 wxcoze 的调用（4100 authentication is invalid）/);
  assert.match(text, /COZE_API_TOKEN/);
  assert.deepEqual(told('coze_down'), [], 'a refused token is not also "Coze down"');
  assert.equal(received().length, 2);
});

test('Coze unreachable longer than the threshold: one alert, one recovery; nothing while it lasts less', async () => {
  await start({ WXCOZE_ALERT_COZE_DOWN_MINUTES: '0.03' });
  // Shorter than the 1.8 s threshold: no alert.
  h!.coze.setOutage(true);
  await settle(600);
  h!.coze.setOutage(false);
  await settle(1_500);
  assert.deepEqual(told('coze_down'), []);
  h!.coze.setOutage(true);
  const text = await oneAlertOneRecovery('coze_down', () => h!.coze.setOutage(false));
  assert.match(text, /HTTP 502/);
  assert.equal(received().length, 2);
});

test('WeCom answers 60020: one alert naming the IP to add to 企业可信IP, one recovery once pulls go through', async () => {
  await start();
  h!.wecom.failSync(60020, { fromIp: '203.0.113.9' });
  await h!.wecom.customerSends(KF, 'wmIpWall', { text: '你好' });
  const text = await oneAlertOneRecovery('wecom_ip', () => h!.wecom.failSync(null));
  assert.match(text, /企业微信拒绝了来自 IP 203\.0\.113\.9 的调用（60020）/);
  assert.match(text, /企业可信IP」中加入 203\.0\.113\.9/);
  assert.match(text, new RegExp(KF));
  // The message waited in WeCom and is answered once the wall is gone.
  await waitFor('the answer', () => h!.wecom.sentTo('wmIpWall').length === 1);
  assert.equal(received().length, 2);
});

test('WeCom answers 48002: one alert saying which permission is missing, one recovery', async () => {
  await start();
  h!.wecom.failSync(48002);
  await h!.wecom.customerSends(KF, 'wmForbidden', { text: '你好' });
  const text = await oneAlertOneRecovery('wecom_forbidden', () => h!.wecom.failSync(null));
  assert.match(text, /可调用接口的应用/);
  assert.equal(received().length, 2);
});

test('a message failing for good: one alert pointing at the failed page, one recovery when it is dismissed', async () => {
  // One attempt at Coze, so one failure ends the message (the apology goes out).
  await start({ COZE_MAX_ATTEMPTS: '1' });
  h!.coze.failNext(1, 'chat.failed');
  const msgid = await h!.wecom.customerSends(KF, 'wmFails', { text: '你好' });
  await waitFor('the message failed', async () => (await h!.server.store.get(msgid))?.state === 'failed');
  const text = await oneAlertOneRecovery('failed_messages', () =>
    h!.server.store.operatorActions.dismiss([msgid], Date.now()),
  );
  assert.match(text, /近 30 分钟有 1 条客户消息最终失败（最近一条：failed: coze failed 5000/);
  assert.match(text, /\/admin\/failed/);
  assert.deepEqual(told('coze_down'), [], 'one failed chat is not an outage (threshold 5 min)');
  assert.equal(received().length, 2);
});

test('a stalled pipeline (Coze held, the message waits past the threshold): one alert, one recovery once it is answered', async () => {
  await start({ WXCOZE_ALERT_PENDING_MINUTES: '0.02', COZE_TIMEOUT_MS: '60000' });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  cleanups.push(() => release());
  h!.coze.setResponder(async () => {
    await held;
    return '终于回答了';
  });
  await h!.wecom.customerSends(KF, 'wmStalled', { text: '在吗' });
  const text = await oneAlertOneRecovery('stalled', async () => {
    release();
    await waitFor('the answer', () => h!.wecom.sentTo('wmStalled').length === 1);
  });
  assert.match(text, /最早一条未回复的客户消息已等待 \d+ (秒|分钟)/);
  assert.match(text, /wxcoze status/);
  assert.equal(received().length, 2);
});

/** Logs in to the console over HTTP and opens its live event stream, as an open page does. */
async function openConsole(server: Harness['server']): Promise<() => void> {
  await server.store.consoleAccess.setOperator(
    'admin',
    await hashPassword('correct-horse-battery'),
    Date.now(),
  );
  const base = `${server.url}/admin`;
  const page = await fetch(`${base}/login`);
  const jar = page.headers
    .getSetCookie()
    .map((l) => l.split(';')[0]!)
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar },
    body: new URLSearchParams({
      _csrf: csrf,
      name: 'admin',
      password: 'correct-horse-battery',
      next: '',
    }).toString(),
  });
  assert.equal(login.status, 303);
  const session = login.headers
    .getSetCookie()
    .map((l) => l.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
  const abort = new AbortController();
  const events = await fetch(`${base}/api/events`, { headers: { cookie: session }, signal: abort.signal });
  assert.equal(events.status, 200);
  assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
  // Read the stream in the background, as a browser does, until the test closes it.
  void events.body!.pipeTo(new WritableStream()).catch(() => {});
  return () => abort.abort();
}

test('a handoff to the console nobody looks at: one alert; someone opening the console ends it, and a handoff while it is open sends none', async () => {
  await start({ WXCOZE_HANDOFF_TO: 'console', WXCOZE_ALERT_HANDOFF_MINUTES: '0.01' });
  await h!.wecom.customerSends(KF, 'wmHandoff1', { text: '转人工' });
  const text = await oneAlertOneRecovery('handoff_waiting', async () => {
    cleanups.push(await openConsole(h!.server));
  });
  assert.match(text, /1 位客户转人工后在等待.*目前没有人打开控制台/);
  assert.match(text, /打开控制台接待：http:\/\/127\.0\.0\.1:\d+\/admin/);
  // Somebody is looking now: another customer handed over raises nothing.
  await h!.wecom.customerSends(KF, 'wmHandoff2', { text: '转人工' });
  await waitFor(
    'the second handoff',
    async () =>
      (await h!.server.store.operatorActions.waitingQueue({ limit: 10, sinceAfter: 0 })).length === 2,
  );
  await settle(2_000);
  assert.deepEqual(told('handoff_waiting'), ['firing', 'resolved']);
  assert.equal(received().length, 2);
});

test('`wxcoze alerts test`: the sample reaches the robot; a wrong key says 93000 and what to do; unset says how to turn alerts on', async () => {
  await start();
  const dataDir = mkdtempSync(join(tmpdir(), 'wxcoze-alerts-cli-'));
  const saved = process.env.WXCOZE_DATA_DIR;
  process.env.WXCOZE_DATA_DIR = dataDir;
  cleanups.push(() =>
    saved === undefined ? delete process.env.WXCOZE_DATA_DIR : (process.env.WXCOZE_DATA_DIR = saved),
  );
  const url = h!.wecom.robots.add('alerts-cli-robot-key-0001');

  const ok = await alertsTest({ url });
  assert.equal(ok.ok, true);
  assert.match(ok.lines.join('\n'), /sample alert delivered to the WeCom group robot .*key=••••••0001/);
  const sample = h!.wecom.robots.received.find((m) => m.key === 'alerts-cli-robot-key-0001')!;
  assert.match(sample.content, /^【wxcoze 测试】告警通道可用/);

  const wrong = await alertsTest({
    url: url.replace('alerts-cli-robot-key-0001', 'alerts-cli-removed-robot'),
  });
  assert.equal(wrong.ok, false);
  const said = wrong.lines.join('\n');
  assert.match(said, /errcode 93000 \(invalid webhook url\)/);
  assert.match(said, /机器人的 key 无效/);
  assert.ok(!said.includes('alerts-cli-removed-robot'), 'the key is never printed');

  const off = await alertsTest();
  assert.equal(off.ok, false);
  assert.match(off.lines.join('\n'), /alerts are off: WXCOZE_ALERT_WEBHOOK is not set/);
  assert.match(off.lines.join('\n'), /群机器人/);
});

test("the webhook's key is never logged; a failed send is logged with its reason and delivered later, once", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  await start({}, pino(loggerOptions('debug'), sink) as unknown as Logger);
  h!.wecom.robots.failNext(1, 'http502');
  h!.coze.setToken('pat_revoked_by_the_owner');
  await waitFor('the alert, after the failed send', () => told('coze_auth').length === 1, 30_000);
  h!.coze.setToken(COZE_TOKEN);
  await waitFor('the recovery', () => told('coze_auth').length === 2, 30_000);
  await settle(500);
  const log = lines.join('');
  assert.ok(!log.includes(ROBOT_KEY), 'the key appears in no log line');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const failed = parsed.find((l) => l.msg?.toString().startsWith('alert not delivered'))!;
  assert.equal(failed.alert, 'coze_auth');
  assert.equal(failed.reason, 'the webhook answered HTTP 502');
  assert.equal(parsed.filter((l) => l.msg === 'alert sent').length, 2);
  const listening = parsed.find((l) => l.msg === 'wxcoze listening')!;
  assert.match(String(listening.alerts), /cgi-bin\/webhook\/send\?key=••••••/);
  assert.deepEqual(told('coze_auth'), ['firing', 'resolved']);
});
