import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { request } from 'undici';
import {
  backendEnv,
  COZE_TOKEN,
  freePort,
  KF,
  SECRET,
  serverEnv,
  settle,
  spawnServer,
  startFakes,
  tempDir,
  waitFor,
} from '../helpers/harness.js';

type Fakes = Awaited<ReturnType<typeof startFakes>>;
let fakes: Fakes | undefined;
const children: import('node:child_process').ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
/** Server environment on the backend under test (embedded, or MariaDB + Redis). */
async function envFor(f: Fakes, dataDir: string, extra: Record<string, string> = {}) {
  const b = await backendEnv();
  cleanups.push(b.cleanup);
  return serverEnv(f, dataDir, { ...b.env, ...extra });
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fakes?.wecom.close();
  await fakes?.coze.close();
  fakes = undefined;
  for (const c of cleanups.splice(0)) await c().catch(() => {});
});

const exited = (c: import('node:child_process').ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((r) =>
    c.once('exit', (code, signal) => r({ code, signal })),
  );

test('kill -9 after the ack and before the reply; restart on the same data → exactly one reply', async () => {
  fakes = await startFakes();
  const dataDir = tempDir();
  // A fixed port: the restart is the same instance (default id <hostname>:<port>), so on MySQL it
  // takes its own unfinished message back at once instead of after WXCOZE_TAKEOVER_MS.
  const env = await envFor(fakes, dataDir, { PORT: String(await freePort()) });
  fakes.coze.setResponder(() => ({ text: '这是答案', delayMs: 1500 }));

  const first = await spawnServer(env);
  children.push(first.child);
  fakes.wecom.setCallbackUrl(`${first.url}/wechat/hook`);
  await fakes.wecom.customerSends(KF, 'wmCrash', { text: '崩溃测试' });
  // The message is pulled and Coze is working on it: now the process dies.
  await waitFor('Coze to be asked', () => fakes!.coze.chats.length === 1);
  const gone = exited(first.child);
  first.child.kill('SIGKILL');
  await gone;
  assert.equal(fakes.wecom.sent.length, 0, 'nothing was sent before the crash');

  fakes.coze.setResponder(() => '这是答案');
  const second = await spawnServer(env);
  children.push(second.child);
  fakes.wecom.setCallbackUrl(`${second.url}/wechat/hook`);
  await waitFor('the reply after restart', () => fakes!.wecom.sentTo('wmCrash').length === 1, 20_000);
  await settle(800);
  assert.equal(fakes.wecom.sentTo('wmCrash').length, 1);
  assert.equal(fakes.wecom.sentTo('wmCrash')[0]!.content, '这是答案', 'the real answer, not the apology');

  // A third start on the same data changes nothing: the message is done.
  const stop = exited(second.child);
  second.child.kill('SIGTERM');
  assert.equal((await stop).code, 0);
  const third = await spawnServer(env);
  children.push(third.child);
  await settle(800);
  assert.equal(fakes.wecom.sentTo('wmCrash').length, 1);

  // The log file has lines about the message, with ids, and no secrets or bodies at info level.
  const logFile = join(dataDir, 'logs', 'wxcoze.log');
  assert.ok(existsSync(logFile));
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /"msgid"/);
  assert.match(log, /"reqId"/);
  for (const secret of [SECRET, COZE_TOKEN, env.WECOM_ENCODING_AES_KEY!, '崩溃测试', '这是答案'])
    assert.ok(!log.includes(secret), `log leaks ${secret}`);
});

test('kill -9 between the ack and the pull: the restart pulls every known account and answers', async () => {
  fakes = await startFakes();
  const dataDir = tempDir();
  const env = await envFor(fakes, dataDir);
  const first = await spawnServer(env);
  children.push(first.child);
  fakes.wecom.setCallbackUrl(`${first.url}/wechat/hook`);
  // The callback is acknowledged, but every pull fails: the message exists only at WeCom.
  fakes.wecom.failNextSyncs(1000, 'http500');
  await fakes.wecom.customerSends(KF, 'wmLate', { text: '拉取前崩溃' });
  await waitFor('a pull attempt', () => fakes!.wecom.calls.some((c) => c.path.includes('sync_msg')));
  const gone = exited(first.child);
  first.child.kill('SIGKILL');
  await gone;
  assert.equal(fakes.coze.chats.length, 0);
  fakes.wecom.failNextSyncs(0, 'http500');
  const second = await spawnServer(env);
  children.push(second.child);
  await waitFor('the reply after restart', () => fakes!.wecom.sentTo('wmLate').length === 1, 20_000);
  await settle(500);
  assert.equal(fakes.wecom.sentTo('wmLate').length, 1);
});

test('SIGTERM: callbacks during the drain get 503, the answer in flight is finished, the process exits 0', async () => {
  fakes = await startFakes();
  const dataDir = tempDir();
  const env = await envFor(fakes, dataDir);
  // Slow enough that the server is still draining (and listening) when the callback below arrives.
  fakes.coze.setResponder(() => ({ text: '慢答案', delayMs: 2500 }));
  const srv = await spawnServer(env);
  children.push(srv.child);
  fakes.wecom.setCallbackUrl(`${srv.url}/wechat/hook`);
  await fakes.wecom.customerSends(KF, 'wmTerm', { text: '关机测试' });
  await waitFor('Coze to be asked', () => fakes!.coze.chats.length === 1);
  const done = exited(srv.child);
  srv.child.kill('SIGTERM');
  await waitFor('the server to start draining', () => srv.output().includes('shutting down'));
  const during = await request(`${srv.url}/wechat/hook?msg_signature=${'0'.repeat(40)}&timestamp=1&nonce=1`, {
    method: 'POST',
    body: '<xml/>',
    headers: { 'content-type': 'text/xml' },
  });
  assert.equal(during.statusCode, 503, 'WeCom is told to retry later, not that the signature is wrong');
  await during.body.dump();
  const { code } = await done;
  assert.equal(code, 0);
  assert.equal(fakes.wecom.sentTo('wmTerm').length, 1, 'the in-flight answer was delivered before exit');
});
