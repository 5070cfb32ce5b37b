/**
 * The alert evaluator (src/ops/alerts/evaluator.ts) on a real store, sending to the fake group
 * robot, with the machine's readers (Coze probe, disk, certificate, token expiry, console watch)
 * replaced and a clock the test moves: each condition raises one alert and one recovery; a round
 * that cannot read a fact changes nothing; two instances send once; a failing webhook is retried
 * with backoff and delivered once; the per-minute cap holds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import type { AlertsConfig } from '../../src/config/types.js';
import { startFakeWecom, type FakeWecom } from '../../src/fakes/wecom/index.js';
import { createLogger } from '../../src/log/logger.js';
import { AlertChannel } from '../../src/ops/alerts/channel.js';
import {
  CONDITIONS,
  type AlertCondition,
  type CertReading,
  type CozeProbe,
  type DiskReading,
} from '../../src/ops/alerts/conditions.js';
import { AlertEvaluator } from '../../src/ops/alerts/evaluator.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';

const KF = 'wkEvaluator';
const DAY = 86_400_000;
const CONFIG: AlertsConfig = {
  webhook: 'set below',
  format: 'wecom',
  checkMs: 1_000,
  cozeDownMs: 60_000,
  pendingMs: 120_000,
  failedMessages: 1,
  handoffMs: 30_000,
  certMs: 14 * DAY,
  tokenMs: 7 * DAY,
  diskPercent: 90,
};
const logger = createLogger({ level: 'silent' });

let wecom: FakeWecom;
before(async () => {
  wecom = await startFakeWecom();
});
after(async () => {
  await wecom.close();
});

/** What the machine says this round; tests change it. */
interface World {
  probe: CozeProbe;
  /** A console page is open (its instance keeps noting it). */
  consoleOpen: boolean;
  cert: CertReading | null | undefined;
  tokenEnd: number | null;
  disk: DiskReading | Error;
}

let clock: number;
let world: World;
let probes = 0;
let store: SqlStore;
let robotUrl: string;
let robotKey: string;
let n = 0;

beforeEach(async () => {
  clock = Date.parse('2025-06-01T00:00:00Z');
  world = {
    probe: { ok: true },
    consoleOpen: false,
    cert: null,
    tokenEnd: null,
    disk: { dir: '/data', usedPercent: 40, freeBytes: 50 * 1024 ** 3 },
  };
  store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-alerts-eval-')), 'wxcoze.db'));
  await store.migrate();
  probes = 0;
  robotKey = `robot-eval-${++n}`;
  robotUrl = wecom.robots.add(robotKey);
});

function evaluator(owner = 'inst-a', conditions?: AlertCondition[]) {
  return new AlertEvaluator({
    config: { ...CONFIG, webhook: robotUrl },
    store,
    channel: new AlertChannel({ url: robotUrl, format: 'wecom' }),
    readers: {
      cozeProbe: async () => {
        probes++;
        return world.probe;
      },
      consoleSeenAt: async () => (world.consoleOpen ? clock : null),
      cert: async () => world.cert,
      cozeTokenExpiresAt: async () => world.tokenEnd,
      disk: async () => {
        if (world.disk instanceof Error) throw world.disk;
        return world.disk;
      },
    },
    logger,
    owner,
    instanceId: () => owner,
    consoleUrl: 'https://kf.example.com/admin',
    now: () => clock,
    ...(conditions ? { conditions } : {}),
  });
}

const received = () => wecom.robots.received.filter((m) => m.key === robotKey).map((m) => m.content);
const attempts = () =>
  wecom.calls.filter((c) => c.path === '/cgi-bin/webhook/send' && c.query?.key === robotKey).length;
/** The alerts and recoveries the robot got for a condition, in order. */
function told(titleZh: string): string[] {
  return received()
    .filter((t) => t.split('\n')[0]!.endsWith(`】${titleZh}`))
    .map((t) => (t.startsWith('【wxcoze 告警】') ? 'firing' : 'resolved'));
}
const title = (id: string) => CONDITIONS.find((c) => c.id === id)!.titleZh;

/** Rounds every `stepMs` for `forMs` of the test's clock. */
async function run(e: AlertEvaluator, forMs: number, stepMs = 1_000) {
  for (let t = 0; t <= forMs; t += stepMs) {
    await e.tick();
    clock += stepMs;
  }
}

/** Stores a customer message and ends it as the pipeline would (claimed, answered, finished). */
async function ended(msgid: string, state: 'done' | 'failed', note: string | null) {
  await store.commitPage(
    KF,
    `c-${msgid}`,
    [
      {
        msgid,
        openKfId: KF,
        externalUserId: `wm-${msgid}`,
        origin: 3,
        msgtype: 'text',
        sendTime: Math.floor(clock / 1000),
        payload: {},
        state: 'received',
      },
    ],
    clock,
  );
  const items = await store.claim({ owner: 'w', leaseMs: 60_000, limit: 10, now: clock });
  for (const i of items) if (i.msgid !== msgid) await store.releaseLease(i.msgid, 'w');
  await store.saveAnswer(msgid, 'w', [{ kind: 'text', content: 'x' }], note, clock);
  assert.ok(await store.finish(msgid, 'w', state, note, clock));
}

test('each condition raises one alert when it starts and one recovery when it clears', async () => {
  const e = evaluator();
  const scenarios: {
    id: string;
    start: () => unknown;
    clear: () => unknown;
    match?: RegExp;
  }[] = [
    {
      id: 'coze_auth',
      start: () =>
        void (world.probe = { ok: false, kind: 'auth', code: 4100, message: 'authentication is invalid' }),
      clear: () => void (world.probe = { ok: true }),
      match: /4100 authentication is invalid/,
    },
    {
      id: 'coze_down',
      start: () =>
        void (world.probe = { ok: false, kind: 'network', message: 'GET /v1/users/me: ECONNREFUSED' }),
      clear: () => void (world.probe = { ok: true }),
      match: /超过 1 分钟（GET \/v1\/users\/me: ECONNREFUSED）/,
    },
    {
      id: 'wecom_ip',
      start: async () => {
        await store.touchAccount(KF, clock);
        await store.recordPull(
          KF,
          "kf/sync_msg: errcode 60020 — caller IP is not in the app's trusted IPs (WeCom saw the call from IP 203.0.113.9)",
          clock,
        );
      },
      clear: () => store.recordPull(KF, null, clock),
      match: /企业可信IP」中加入 203\.0\.113\.9/,
    },
    {
      id: 'wecom_forbidden',
      start: () =>
        store.recordPull(KF, 'kf/sync_msg: errcode 48002 — API not permitted for this token', clock),
      clear: () => store.recordPull(KF, null, clock),
      match: /48002/,
    },
    {
      id: 'failed_messages',
      start: () => ended('m-failed', 'failed', 'undeliverable: errcode 95002 — the 48-hour window is over'),
      clear: async () => void (await store.operatorActions.dismiss(['m-failed'], clock)),
      match: /1 条客户消息最终失败（最近一条：undeliverable: errcode 95002/,
    },
    {
      id: 'stalled',
      start: () =>
        store.commitPage(
          KF,
          'c-stuck',
          [
            {
              msgid: 'm-stuck',
              openKfId: KF,
              externalUserId: 'wmStuck',
              origin: 3,
              msgtype: 'text',
              sendTime: 0,
              payload: {},
              state: 'received',
            },
          ],
          clock,
        ),
      clear: async () => {
        const [i] = await store.claim({ owner: 'w', leaseMs: 60_000, limit: 1, now: clock });
        assert.equal(i?.msgid, 'm-stuck');
        await store.finish('m-stuck', 'w', 'skipped', 'test', clock);
      },
      match: /最早一条未回复的客户消息已等待 \d+ (秒|分钟)/,
    },
    {
      id: 'handoff_waiting',
      start: () => store.setCustomerMode(KF, 'wmWaiting', 'waiting', clock, clock),
      // Someone opens the console: somebody is looking now.
      clear: () => void (world.consoleOpen = true),
      match:
        /1 位客户转人工后在等待.*目前没有人打开控制台。\n处理：打开控制台接待：https:\/\/kf\.example\.com\/admin/,
    },
    {
      id: 'cert_expiry',
      start: () =>
        void (world.cert = {
          domain: 'kf.example.com',
          issuer: "Let's Encrypt",
          validTo: new Date(clock + 5 * DAY),
          msLeft: 5 * DAY,
          authorized: true,
        }),
      clear: () =>
        void (world.cert = {
          domain: 'kf.example.com',
          issuer: "Let's Encrypt",
          validTo: new Date(clock + 89 * DAY),
          msLeft: 89 * DAY,
          authorized: true,
        }),
      match: /kf\.example\.com 的证书（Let's Encrypt）将在 5 天后/,
    },
    {
      id: 'coze_token_expiry',
      start: () => void (world.tokenEnd = clock + 2 * DAY + 3_600_000),
      clear: () => void (world.tokenEnd = clock + 300 * DAY),
      match: /Coze 令牌将在 2 天后/,
    },
    {
      id: 'disk_full',
      start: () => void (world.disk = { dir: '/data', usedPercent: 95, freeBytes: 2 * 1024 ** 3 }),
      clear: () => void (world.disk = { dir: '/data', usedPercent: 60, freeBytes: 40 * 1024 ** 3 }),
      match: /数据目录 \/data 所在磁盘已用 95%（剩余 2\.0 GiB）/,
    },
  ];
  assert.deepEqual(scenarios.map((s) => s.id).sort(), CONDITIONS.map((c) => c.id).sort(), 'every condition');
  await run(e, 5_000);
  assert.deepEqual(received(), [], 'nothing while all is well');
  for (const s of scenarios) {
    await s.start();
    // Longer than every hold and threshold (the Coze outage must last a minute, a message wait two).
    await run(e, 150_000, 5_000);
    assert.deepEqual(told(title(s.id)), ['firing'], `${s.id}: one alert, however many rounds see it`);
    const text = received().find((t) => t.startsWith(`【wxcoze 告警】${title(s.id)}`))!;
    if (s.match) assert.match(text, s.match, s.id);
    await s.clear();
    await run(e, 60_000, 5_000);
    assert.deepEqual(told(title(s.id)), ['firing', 'resolved'], `${s.id}: one recovery`);
  }
  // Only these 20 messages, one pair per condition.
  assert.equal(received().length, 2 * scenarios.length);
});

test('Coze briefly down (shorter than the threshold) sends nothing; an auth failure is not also reported as "down"', async () => {
  const e = evaluator();
  world.probe = { ok: false, kind: 'server', message: 'HTTP 502' };
  await run(e, 40_000, 5_000);
  world.probe = { ok: true };
  await run(e, 60_000, 5_000);
  world.probe = { ok: false, kind: 'auth', code: 4100, message: 'authentication is invalid' };
  await run(e, 180_000, 5_000);
  assert.deepEqual(told(title('coze_down')), []);
  assert.deepEqual(told(title('coze_auth')), ['firing']);
});

test("a certificate of Caddy's internal CA (12-hour, not publicly trusted) never alerts", async () => {
  const e = evaluator();
  world.cert = {
    domain: 'kf.example.com',
    issuer: 'Caddy Local Authority - ECC Intermediate',
    validTo: new Date(clock + 6 * 3_600_000),
    msLeft: 6 * 3_600_000,
    authorized: false,
  };
  await run(e, 30_000, 5_000);
  assert.deepEqual(told(title('cert_expiry')), []);
});

test('a round that cannot read a fact changes nothing: a firing alert is not resolved by a failing reader', async () => {
  const e = evaluator();
  world.disk = { dir: '/data', usedPercent: 97, freeBytes: 1024 ** 3 };
  await run(e, 5_000);
  world.disk = new Error('EIO');
  await run(e, 120_000, 5_000);
  assert.deepEqual(told(title('disk_full')), ['firing']);
  world.disk = { dir: '/data', usedPercent: 50, freeBytes: 50 * 1024 ** 3 };
  await run(e, 10_000);
  assert.deepEqual(told(title('disk_full')), ['firing', 'resolved']);
});

test('two instances evaluating the same store at the same moments send one alert and one recovery, not two', async () => {
  const a = evaluator('inst-a');
  const b = evaluator('inst-b');
  world.disk = { dir: '/data', usedPercent: 99, freeBytes: 1024 ** 2 };
  for (let i = 0; i < 10; i++) {
    await Promise.all([a.tick(), b.tick()]);
    clock += 1_000;
  }
  world.disk = { dir: '/data', usedPercent: 10, freeBytes: 90 * 1024 ** 3 };
  for (let i = 0; i < 10; i++) {
    await Promise.all([a.tick(), b.tick()]);
    clock += 1_000;
  }
  assert.deepEqual(told(title('disk_full')), ['firing', 'resolved']);
  assert.equal(received().length, 2);
});

test('a failing webhook is tried again later with growing waits, never every round, and the alert arrives once', async () => {
  const e = evaluator();
  wecom.robots.failNext(3, 'http502');
  world.disk = { dir: '/data', usedPercent: 99, freeBytes: 1024 ** 2 };
  await e.tick();
  assert.equal(attempts(), 1);
  // The next rounds come before the backoff is over: no new attempt.
  await e.tick();
  clock += 400;
  await e.tick();
  assert.equal(attempts(), 1, 'no attempt before the backoff is over');
  // Rounds every second for two minutes: the three failures, then the delivery.
  await run(e, 120_000, 1_000);
  assert.equal(attempts(), 4);
  assert.ok(attempts() < 120 / 2, 'far fewer attempts than rounds');
  assert.deepEqual(told(title('disk_full')), ['firing']);
});

test('at most 10 messages a minute across the instances: the rest wait for the next minute', async () => {
  // Twelve conditions that all hold at once.
  const many: AlertCondition[] = Array.from({ length: 12 }, (_, i) => ({
    id: `synthetic_${i}` as AlertCondition['id'],
    titleZh: `合成条件${i}`,
    titleEn: `synthetic ${i}`,
    holdMs: () => 0,
    observe: () => ({ active: true, text: { zh: 'z', en: 'e', fixZh: 'fz', fixEn: 'fe' } }),
  }));
  const a = evaluator('inst-a', many);
  const b = evaluator('inst-b', many);
  for (let i = 0; i < 5; i++) {
    await Promise.all([a.tick(), b.tick()]);
    clock += 1_000;
  }
  assert.equal(received().length, 10);
  clock += 60_000;
  await Promise.all([a.tick(), b.tick()]);
  assert.equal(received().length, 12);
  assert.equal(new Set(received()).size, 12, 'each once');
});

test('an idle bridge asks Coze every 10 rounds; every round while something about Coze looks wrong', async () => {
  const e = evaluator();
  await run(e, 29_000); // 30 rounds of 1 s, all well
  assert.equal(probes, 3);
  probes = 0;
  clock += 10_000;
  world.probe = { ok: false, kind: 'network', message: 'ECONNRESET' };
  await run(e, 9_000); // the failure is seen, then confirmed every round
  assert.equal(probes, 10);
  world.probe = { ok: true };
  await run(e, 29_000);
  // Once more (the last probe failed), then every 10th round again.
  assert.equal(probes, 10 + 3);
  assert.deepEqual(told(title('coze_down')), [], 'shorter than the minute it must last');
});

test("an account's pull error an hour old (an account nobody pulls any more) raises nothing", async () => {
  const e = evaluator();
  await store.touchAccount(KF, clock);
  await store.recordPull(
    KF,
    'kf/sync_msg: errcode 48002 — API not permitted for this token',
    clock - 3_600_000,
  );
  await run(e, 10_000);
  assert.deepEqual(told(title('wecom_forbidden')), []);
  await store.recordPull(KF, 'kf/sync_msg: errcode 48002 — API not permitted for this token', clock);
  await run(e, 2_000);
  assert.deepEqual(told(title('wecom_forbidden')), ['firing']);
});
