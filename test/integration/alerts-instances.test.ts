/**
 * Two `wxcoze start` processes sharing MariaDB + Redis, both evaluating the alert conditions every
 * 200 ms: a problem both see (Coze refusing the token, each instance probing it on its own) and one
 * they read from the shared store (WeCom answering 60020) each raise ONE alert and ONE recovery in
 * the group robot, not one per instance.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { CONDITIONS } from '../../src/ops/alerts/conditions.js';
import {
  backendEnv,
  COZE_TOKEN,
  KF,
  serverEnv,
  settle,
  spawnServer,
  startFakes,
  tempDir,
  waitFor,
} from '../helpers/harness.js';
import { requireMysql } from '../helpers/requirements.js';
import { roundRobin } from '../helpers/proxy.js';

const needsMysql = await requireMysql();
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => {});
});

const ROBOT_KEY = 'alerts-two-instances-robot-01';

test(
  'two instances on MariaDB + Redis: one alert and one recovery per incident, not two',
  { skip: needsMysql, timeout: 180_000 },
  async () => {
    process.env.WXCOZE_TEST_BACKEND = 'mysql';
    const fakes = await startFakes();
    closers.push(
      () => fakes.wecom.close(),
      () => fakes.coze.close(),
    );
    const backend = await backendEnv();
    closers.push(backend.cleanup);
    const webhook = fakes.wecom.robots.add(ROBOT_KEY);

    const instances: Awaited<ReturnType<typeof spawnServer>>[] = [];
    for (let n = 0; n < 2; n++) {
      const env = serverEnv(fakes, tempDir(), {
        ...backend.env,
        WXCOZE_ALERT_WEBHOOK: webhook,
        WXCOZE_ALERT_CHECK_MS: '200',
        // This machine's disk is not what the test is about.
        WXCOZE_ALERT_DISK_PERCENT: '99',
      });
      const s = await spawnServer(env);
      children.push(s.child);
      instances.push(s);
    }
    const proxy = await roundRobin(() => instances.map((s) => s.url));
    closers.push(proxy.close);
    fakes.wecom.setCallbackUrl(`${proxy.url}/wechat/hook`);

    const received = () =>
      fakes.wecom.robots.received.filter((m) => m.key === ROBOT_KEY).map((m) => m.content);
    const told = (id: string) => {
      const title = CONDITIONS.find((c) => c.id === id)!.titleZh;
      return received()
        .filter((t) => t.split('\n')[0]!.endsWith(`】${title}`))
        .map((t) => (t.startsWith('【wxcoze 告警】') ? 'firing' : 'resolved'));
    };
    const instanceOf = (id: string, state: string) => {
      const title = CONDITIONS.find((c) => c.id === id)!.titleZh;
      const t = received().find((x) => x.startsWith(`【wxcoze ${state}】${title}`))!;
      return /（([^）]+)）$/.exec(t)![1];
    };

    // Both instances' probes see the token refused.
    fakes.coze.setToken('pat_revoked');
    await waitFor('the coze_auth alert', () => told('coze_auth').length >= 1, 30_000, 50);
    await settle(2_000);
    assert.deepEqual(told('coze_auth'), ['firing'], 'one alert from two instances');
    fakes.coze.setToken(COZE_TOKEN);
    await waitFor('the coze_auth recovery', () => told('coze_auth').length >= 2, 30_000, 50);
    await settle(2_000);
    assert.deepEqual(told('coze_auth'), ['firing', 'resolved'], 'one recovery from two instances');

    // A fact in the shared store: the pull's 60020, whichever instance pulled.
    fakes.wecom.failSync(60020, { fromIp: '198.51.100.20' });
    await fakes.wecom.customerSends(KF, 'wmTwoInstances', { text: '你好' });
    await waitFor('the wecom_ip alert', () => told('wecom_ip').length >= 1, 30_000, 50);
    await settle(2_000);
    assert.deepEqual(told('wecom_ip'), ['firing']);
    fakes.wecom.failSync(null);
    await waitFor('the wecom_ip recovery', () => told('wecom_ip').length >= 2, 60_000, 50);
    await waitFor('the answer', () => fakes.wecom.sentTo('wmTwoInstances').length === 1, 30_000);
    await settle(2_000);
    assert.deepEqual(told('wecom_ip'), ['firing', 'resolved']);
    assert.equal(received().length, 4, 'nothing else was sent');
    // Whichever instance won the claim sent it; each message names the one that did.
    for (const [id, state] of [
      ['coze_auth', '告警'],
      ['wecom_ip', '已恢复'],
    ] as const)
      assert.ok(instances.some((s) => instanceOf(id, state)!.endsWith(`:${new URL(s.url).port}`)));
  },
);
