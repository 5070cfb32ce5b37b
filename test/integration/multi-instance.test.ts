/**
 * Three `wxcoze start` processes on three ports sharing MariaDB + Redis behind a round-robin
 * proxy; one is killed with SIGKILL mid-run. Every customer message is still answered exactly
 * once, and each customer's answers come in the order of their messages.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import {
  backendEnv,
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

const CUSTOMERS = 60;
const PER_CUSTOMER = 5;

const needsMysql = await requireMysql();
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => {});
});

test(
  '3 instances, 300 messages from 60 customers, one instance killed mid-run → each answered exactly once, in order',
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
    // Coze takes a moment, so answers are in flight on every instance when one dies.
    fakes.coze.setResponder((chat) => ({
      text: `收到：${(chat.messages.at(-1) as { content: string }).content}`,
      delayMs: 150,
    }));

    const instances = [];
    for (let n = 0; n < 3; n++) {
      const env = serverEnv(fakes, tempDir(), { ...backend.env, WXCOZE_CONCURRENCY: '32' });
      const s = await spawnServer(env);
      children.push(s.child);
      instances.push(s);
    }
    const alive = new Set(instances.map((s) => s.url));
    const proxy = await roundRobin(() => [...alive]);
    closers.push(proxy.close);
    fakes.wecom.setCallbackUrl(`${proxy.url}/wechat/hook`);

    const customer = (c: number) => `wmMulti${String(c).padStart(3, '0')}`;
    const sends: Promise<string>[] = [];
    for (let k = 0; k < PER_CUSTOMER; k++) {
      for (let c = 0; c < CUSTOMERS; c++)
        sends.push(fakes.wecom.customerSends(KF, customer(c), { text: `${c}-${k}` }));
      if (k === 1) {
        // Mid-run: some answers are done, many are in flight.
        await waitFor('some answers', () => fakes.wecom.sent.length >= 40, 30_000);
        const victim = instances[1]!;
        alive.delete(victim.url);
        victim.child.kill('SIGKILL');
      }
    }
    await Promise.all(sends);
    await waitFor(
      'every message answered',
      () => fakes.wecom.sent.length >= CUSTOMERS * PER_CUSTOMER,
      90_000,
      100,
    );
    await settle(1500);

    assert.equal(fakes.wecom.sent.length, CUSTOMERS * PER_CUSTOMER, 'no message answered twice');
    for (let c = 0; c < CUSTOMERS; c++) {
      const got = fakes.wecom.sentTo(customer(c)).map((s) => s.content);
      const want = Array.from({ length: PER_CUSTOMER }, (_, k) => `收到：${c}-${k}`);
      assert.deepEqual(got, want, `customer ${c}: every message once, in order`);
    }
  },
);
