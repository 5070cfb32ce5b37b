/**
 * Lease takeover by heartbeat, with the default lease (3 minutes) and takeover time (10 s): an
 * instance SIGKILLed mid-Coze is taken over by the other within seconds, a single instance
 * restarted under the same identity takes its work back at once, and two live processes cannot
 * share one identity. Real `wxcoze start` children on MariaDB (+ Redis) against the fakes.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import mysql from 'mysql2/promise';
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
} from '../../helpers/harness.js';
import { requireMysql } from '../../helpers/requirements.js';

process.env.WXCOZE_TEST_BACKEND = 'mysql';
const needsMysql = await requireMysql();
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of closers.reverse()) await c().catch(() => {});
});

// The shipped lease, not the harness's short one: only the heartbeat can make these fast.
const DEFAULT_LEASE = { WXCOZE_LEASE_MS: '180000' };
const CUSTOMERS = 5;
const customer = (c: number) => `wmTake${c}`;

async function setup() {
  const fakes = await startFakes();
  closers.push(
    () => fakes.wecom.close(),
    () => fakes.coze.close(),
  );
  const backend = await backendEnv();
  closers.push(backend.cleanup);
  return { fakes, backend };
}

const exited = (c: ChildProcess) =>
  new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())));

/** Every customer got exactly one reply, each sent once (one send_msg call per outbound msgid). */
function assertEachAnsweredOnce(fakes: Awaited<ReturnType<typeof startFakes>>) {
  for (let c = 0; c < CUSTOMERS; c++) {
    const got = fakes.wecom.sentTo(customer(c));
    assert.equal(got.length, 1, `customer ${c} answered once`);
    assert.equal(got[0]!.content, `答：${c}`);
  }
  const sendCalls = fakes.wecom.calls.filter((c) => c.path.includes('send_msg')).map((c) => c.body?.msgid);
  assert.equal(
    new Set(sendCalls).size,
    sendCalls.length,
    'no part was sent twice, not even as a refused duplicate',
  );
}

test(
  'two instances on MariaDB + Redis: the one holding the messages is SIGKILLed mid-Coze → the other answers each once, within seconds',
  { skip: needsMysql, timeout: 120_000 },
  async () => {
    const { fakes, backend } = await setup();
    const answer = (delayMs: number) =>
      fakes.coze.setResponder((chat) => ({
        text: `答：${(chat.messages.at(-1) as { content: string }).content}`,
        delayMs,
      }));
    // Slow enough that the holder is still mid-Coze when it is killed, however slow the machine.
    answer(30_000);
    const env = () => serverEnv(fakes, tempDir(), { ...backend.env, ...DEFAULT_LEASE });
    const instances = [await spawnServer(env()), await spawnServer(env())];
    children.push(...instances.map((s) => s.child));
    fakes.wecom.setCallbackUrl(`${instances[0]!.url}/wechat/hook`);
    for (let c = 0; c < CUSTOMERS; c++) await fakes.wecom.customerSends(KF, customer(c), { text: String(c) });
    await waitFor('Coze to be asked every message', () => fakes.coze.chats.length >= CUSTOMERS, 30_000);

    // The instance holding the messages (the one the callbacks reach) is killed.
    const db = await mysql.createConnection({ uri: backend.env.WXCOZE_DATABASE_URL! });
    closers.push(() => db.end());
    const [holders] = await db.query<any[]>(
      "SELECT DISTINCT h.pid FROM inbox i JOIN heartbeats h ON h.owner = i.lease_owner WHERE i.state = 'received'",
    );
    assert.equal(holders.length, 1, 'one instance holds the messages');
    const victim = instances.find((s) => s.child.pid === Number(holders[0].pid))!;
    const survivor = instances.find((s) => s !== victim)!;
    const gone = exited(victim.child);
    victim.child.kill('SIGKILL');
    await gone;
    assert.equal(fakes.wecom.sent.length, 0, 'nothing was sent before the kill');
    answer(3000);
    fakes.wecom.setCallbackUrl(`${survivor.url}/wechat/hook`);

    // The lease has ~3 minutes left: only the dead instance's silent heartbeat lets this finish.
    await waitFor(
      'every message answered by the survivor',
      () =>
        Array.from({ length: CUSTOMERS }, (_, c) => fakes.wecom.sentTo(customer(c)).length).every(
          (n) => n >= 1,
        ),
      60_000,
      100,
    );
    await settle(1500);
    assertEachAnsweredOnce(fakes);
  },
);

test(
  'one instance on MySQL SIGKILLed mid-Coze and restarted (same host and port) → answered once, at once',
  { skip: needsMysql, timeout: 120_000 },
  async () => {
    const { fakes, backend } = await setup();
    const answer = (delayMs: number) =>
      fakes.coze.setResponder((chat) => ({
        text: `答：${(chat.messages.at(-1) as { content: string }).content}`,
        delayMs,
      }));
    answer(30_000);
    // Without Redis: a single MySQL instance, as a user starts with.
    const mysqlOnly = { ...backend.env };
    delete mysqlOnly.WXCOZE_REDIS_URL;
    // The default identity is <hostname>:<port>, so the restart uses the same port. The takeover
    // time is raised far beyond the wait below: only taking its own work back at start can answer in time.
    const env = serverEnv(fakes, tempDir(), {
      ...mysqlOnly,
      ...DEFAULT_LEASE,
      WXCOZE_TAKEOVER_MS: '120000',
      PORT: String(await freePort()),
    });
    const first = await spawnServer(env);
    children.push(first.child);
    fakes.wecom.setCallbackUrl(`${first.url}/wechat/hook`);
    for (let c = 0; c < CUSTOMERS; c++) await fakes.wecom.customerSends(KF, customer(c), { text: String(c) });
    await waitFor('Coze to be asked every message', () => fakes.coze.chats.length >= CUSTOMERS, 30_000);
    const gone = exited(first.child);
    first.child.kill('SIGKILL');
    await gone;
    assert.equal(fakes.wecom.sent.length, 0, 'nothing was sent before the kill');
    answer(3000);

    const second = await spawnServer(env);
    children.push(second.child);
    fakes.wecom.setCallbackUrl(`${second.url}/wechat/hook`);
    await waitFor(
      'every message answered after the restart',
      () =>
        Array.from({ length: CUSTOMERS }, (_, c) => fakes.wecom.sentTo(customer(c)).length).every(
          (n) => n >= 1,
        ),
      60_000,
      100,
    );
    await settle(1500);
    assertEachAnsweredOnce(fakes);
  },
);

test(
  'a second live process with the same WXCOZE_INSTANCE_ID is refused, and says how to fix it',
  { skip: needsMysql, timeout: 120_000 },
  async () => {
    const { fakes, backend } = await setup();
    const env = () =>
      serverEnv(fakes, tempDir(), {
        ...backend.env,
        WXCOZE_INSTANCE_ID: 'bridge-1',
        WXCOZE_TAKEOVER_MS: '2000',
      });
    const first = await spawnServer(env());
    children.push(first.child);
    await assert.rejects(spawnServer(env()), /instance "bridge-1".*WXCOZE_INSTANCE_ID/s);
    // The first one is unharmed: it still answers.
    fakes.wecom.setCallbackUrl(`${first.url}/wechat/hook`);
    fakes.coze.setResponder(() => '还在');
    await fakes.wecom.customerSends(KF, 'wmTwin', { text: '你好' });
    await waitFor('the first instance to answer', () => fakes.wecom.sentTo('wmTwin').length === 1, 30_000);
  },
);
