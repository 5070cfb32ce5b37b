/**
 * /healthz and /readyz with the cache or the database gone. Redis is a private redis-server this
 * test starts and stops; MariaDB (the mysql run) is reached through a TCP proxy the test cuts or
 * makes hang, never by stopping the machine's shared servers. /ping stays as the older bridge had it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { BACKEND, KF, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { freshDatabase, TEST_MYSQL_URL } from '../helpers/mysql.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

interface ReadyBody {
  status: string;
  store: { ok: boolean; kind: string; problem?: string; error?: string };
  cache: { ok: boolean; kind: string; problem?: string; error?: string };
  serving: { ok: boolean; problem?: string };
  problems: string[];
}

let h: Harness | undefined;
let redis: PrivateRedis | undefined;
let proxy: TcpProxy | undefined;
let dropDb: (() => Promise<void>) | undefined;

before(async () => {
  redis = await startPrivateRedis();
  const env: Record<string, string> = { WXCOZE_REDIS_URL: redis.url, WXCOZE_READY_TIMEOUT_MS: '800' };
  if (BACKEND === 'mysql') {
    const db = await freshDatabase();
    dropDb = db.drop;
    const target = new URL(TEST_MYSQL_URL);
    proxy = await tcpProxy(Number(target.port || 3306), target.hostname);
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    env.WXCOZE_DATABASE_URL = viaProxy.toString();
  }
  h = await startHarness(env);
});
after(async () => {
  await h?.close();
  await redis?.close();
  await proxy?.close();
  await dropDb?.();
});

async function readyz(): Promise<{ status: number; body: ReadyBody }> {
  const res = await request(`${h!.server.url}/readyz`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  return { status: res.statusCode, body: (await res.body.json()) as ReadyBody };
}

/** /readyz until it gives `status` (its answer is cached for a second, and a dependency comes back in its own time). */
async function readyzUntil(status: number, what: string): Promise<{ status: number; body: ReadyBody }> {
  const r = await waitFor(
    what,
    async () => {
      const got = await readyz();
      return got.status === status ? got : undefined;
    },
    20_000,
    200,
  );
  return r!;
}

test('/healthz and /readyz answer 200 while everything answers; /ping is unchanged', async () => {
  const alive = await request(`${h!.server.url}/healthz`);
  assert.equal(alive.statusCode, 200);
  assert.deepEqual(await alive.body.json(), { status: 'alive' });
  const ping = await request(`${h!.server.url}/ping`);
  assert.equal(ping.statusCode, 200);
  assert.deepEqual(await ping.body.json(), { status: 'ok' });
  const r = await readyz();
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'ready');
  assert.deepEqual(r.body.problems, []);
  assert.equal(r.body.cache.kind, 'redis');
  assert.equal(r.body.store.kind, BACKEND === 'mysql' ? 'mysql' : 'sqlite');
});

test('Redis stopped: /readyz answers 503 (never hangs) naming Redis and `wxcoze doctor`; back to 200 when Redis returns', async () => {
  await redis!.stop();
  const down = await readyzUntil(503, '/readyz 503 with Redis stopped');
  assert.equal(down.body.status, 'not ready');
  assert.equal(down.body.cache.ok, false);
  assert.equal(down.body.store.ok, true, 'only the cache is named');
  assert.match(down.body.cache.problem!, /Redis \(WXCOZE_REDIS_URL\)/);
  assert.match(down.body.cache.problem!, /`wxcoze doctor`/);
  assert.ok(down.body.cache.error, "this machine asked: the driver's own words are shown");
  assert.deepEqual(down.body.problems, [down.body.cache.problem]);
  // Still alive: the process serves.
  assert.equal((await request(`${h!.server.url}/healthz`)).statusCode, 200);
  await redis!.start();
  const up = await readyzUntil(200, '/readyz 200 once Redis is back');
  assert.equal(up.body.cache.ok, true);
});

test(
  'the database unreachable or hanging: /readyz answers 503 naming the database; 200 again once it answers',
  { skip: BACKEND !== 'mysql' && 'the embedded SQLite store cannot be cut off (the mysql run covers this)' },
  async () => {
    proxy!.cut();
    const cut = await readyzUntil(503, '/readyz 503 with the database cut off');
    assert.equal(cut.body.store.ok, false);
    assert.match(cut.body.store.problem!, /the database \(WXCOZE_DATABASE_URL\)/);
    assert.match(cut.body.store.problem!, /`wxcoze doctor`/);
    assert.equal(cut.body.cache.ok, true);
    proxy!.restore();
    await readyzUntil(200, '/readyz 200 with the database back');

    // A database that accepts connections but never answers: the probe still answers, within its timeout.
    proxy!.blackhole();
    const hung = await readyzUntil(503, '/readyz 503 with the database hanging');
    assert.match(hung.body.store.problem!, /did not answer within 800 ms/);
    proxy!.restore();
    await readyzUntil(200, '/readyz 200 after the hang');
  },
);

test('a draining server is not ready: /readyz answers 503 while answers in flight finish', async () => {
  // An answer in flight holds the drain open (Coze takes 3 s to answer).
  let asked = false;
  h!.coze.setResponder(async () => {
    asked = true;
    await new Promise((r) => setTimeout(r, 3000));
    return '慢慢来';
  });
  await h!.wecom.customerSends(KF, 'wmDraining', { text: '慢一点' });
  await waitFor('the question at Coze', () => asked, 15_000, 20);
  const stopping = h!.server.stop(5000);
  const r = await readyz();
  assert.equal(r.status, 503);
  assert.equal(r.body.status, 'not ready');
  assert.match(r.body.serving.problem!, /stopping/);
  await stopping;
});
