/**
 * Redis stopped for a few seconds under two instances: they pause what needs Redis (pulls) and
 * recover when it is back; nothing is lost or answered twice.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import {
  backendEnv,
  freePort,
  KF,
  serverEnv,
  settle,
  spawnServer,
  startFakes,
  tempDir,
  waitFor,
} from '../helpers/harness.js';
import { requireMysql, requireTool } from '../helpers/requirements.js';
import { roundRobin } from '../helpers/proxy.js';

/** A private redis-server, so stopping it does not disturb other tests. */
function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const sock = connect(port, '127.0.0.1');
      sock.on('connect', () => {
        sock.destroy();
        clearInterval(t);
        resolve(child);
      });
      sock.on('error', () => sock.destroy());
    }, 50);
    child.on('error', (e) => {
      clearInterval(t);
      reject(e);
    });
  });
}

const needs = (await requireMysql()) || requireTool('redis-server');
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => {});
});

test(
  'Redis down for 3 seconds: two instances pause and recover; nothing lost or doubled',
  {
    skip: needs,
    timeout: 90_000,
  },
  async () => {
    process.env.WXCOZE_TEST_BACKEND = 'mysql';
    const port = await freePort();
    let redis = await startRedis(port);
    children.push(redis);
    const fakes = await startFakes();
    closers.push(
      () => fakes.wecom.close(),
      () => fakes.coze.close(),
    );
    const backend = await backendEnv();
    closers.push(backend.cleanup);
    const env = () =>
      serverEnv(fakes, tempDir(), { ...backend.env, WXCOZE_REDIS_URL: `redis://127.0.0.1:${port}/0` });
    const a = await spawnServer(env());
    const b = await spawnServer(env());
    children.push(a.child, b.child);
    const proxy = await roundRobin(() => [a.url, b.url]);
    closers.push(proxy.close);
    fakes.wecom.setCallbackUrl(`${proxy.url}/wechat/hook`);

    for (let c = 0; c < 10; c++) await fakes.wecom.customerSends(KF, `wmR${c}`, { text: `before-${c}` });
    await waitFor('answers before the outage', () => fakes.wecom.sent.length === 10, 20_000);

    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    // Customers keep writing while Redis is down: the callbacks are still acknowledged.
    const statuses: number[] = [];
    for (let c = 0; c < 10; c++) {
      await fakes.wecom.customerSends(KF, `wmR${c}`, { text: `during-${c}` }, { notify: false });
      statuses.push(...(await fakes.wecom.deliverCallback(KF, { times: 1 })));
    }
    assert.ok(
      statuses.every((s) => s === 200),
      `callbacks acknowledged during the outage: ${statuses.join(',')}`,
    );
    await settle(3000);
    redis = await startRedis(port);
    children.push(redis);
    for (let c = 0; c < 10; c++) await fakes.wecom.customerSends(KF, `wmR${c}`, { text: `after-${c}` });

    await waitFor('every message answered', () => fakes.wecom.sent.length >= 30, 60_000, 100);
    await settle(1500);
    assert.equal(fakes.wecom.sent.length, 30);
    for (let c = 0; c < 10; c++) {
      assert.deepEqual(
        fakes.wecom.sentTo(`wmR${c}`).map((s) => s.content),
        [`收到：before-${c}`, `收到：during-${c}`, `收到：after-${c}`],
      );
    }
  },
);
