/** `wxcoze doctor` against fakes that answer 60020 and 48002: the failing checks, their fixes, the exit code. */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freshDatabase, TEST_REDIS_URL } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
let env: Record<string, string>;
let dataDir: string;

before(async () => {
  f = await startFakes();
  dataDir = tempDir();
  env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const r = await cli(initFlags(f, await freePort()), env);
  assert.equal(r.exitCode, 0, r.out);
});
after(async () => {
  await f.close();
});

interface Check {
  ok: boolean;
  title: string;
  detail: string;
  fix?: string;
  skipped?: boolean;
}
const doctor = async () => {
  const r = await cli(['doctor', '--json'], env);
  return { ...r, checks: (JSON.parse(r.stdout) as { checks: Check[] }).checks };
};
const byTitle = (checks: Check[], re: RegExp) => {
  const c = checks.find((x) => re.test(x.title));
  assert.ok(c, `no check matching ${re}`);
  return c;
};

test('doctor on a complete setup with no domain and wxcoze on 127.0.0.1: only "WeCom can reach this server" fails', async () => {
  const r = await doctor();
  assert.equal(r.exitCode, 1, r.out);
  assert.ok(r.checks.length >= 15);
  assert.deepEqual(
    r.checks.filter((c) => !c.ok).map((c) => c.title),
    ['WeCom can reach this server'],
  );
  const reach = byTitle(r.checks, /WeCom can reach/);
  assert.match(
    reach.detail,
    /listens on 127\.0\.0\.1:\d+, which only this machine can connect to, and no domain is set/,
  );
  assert.match(
    reach.fix!,
    /choose how WeCom reaches this server: a domain .* or no domain — listen on all interfaces \(WXCOZE_HOST=0\.0\.0\.0\)/,
  );
  assert.ok(byTitle(r.checks, /TLS/).skipped);
  // The human output of the same case: test/e2e/reachable.test.ts.
});

test('doctor with WeCom answering 60020: the trusted-IP check fails with the IP and where to add it', async () => {
  f.wecom.failGettoken(60020, { fromIp: '203.0.113.99' });
  try {
    const r = await doctor();
    assert.equal(r.exitCode, 1);
    const ip = byTitle(r.checks, /trusted by WeCom/);
    assert.equal(ip.ok, false);
    assert.match(ip.detail, /203\.0\.113\.99/);
    assert.match(ip.fix!, /应用管理 → your self-built app .*企业可信IP → 配置, add 203\.0\.113\.99/);
    assert.equal(byTitle(r.checks, /CorpID and Secret/).ok, true, 'the credentials themselves are right');
    assert.ok(byTitle(r.checks, /kf account/).skipped, 'the kf check waits for the IP');
    // The human output shows ✗ and the fix.
    const human = await cli(['doctor'], env);
    assert.match(
      human.out,
      /✗ this server's IP trusted by WeCom \(60020\)[^\n]*203\.0\.113\.99[\s\S]*→ In the WeCom admin console/,
    );
  } finally {
    f.wecom.failGettoken(null);
  }
});

test('doctor with kf/account/list answering 48002: the kf-account check fails with the console path', async () => {
  f.wecom.failAccountList(48002);
  try {
    const r = await doctor();
    assert.equal(r.exitCode, 1);
    const kf = byTitle(r.checks, /kf account managed/);
    assert.equal(kf.ok, false);
    assert.match(kf.detail, /48002/);
    assert.match(kf.fix!, /微信客服 → API .*可调用接口的应用/);
    assert.deepEqual(
      r.checks.filter((c) => !c.ok).map((c) => c.title),
      [kf.title, 'WeCom can reach this server'],
      'only that check fails (and the reachability of this no-domain setup)',
    );
  } finally {
    f.wecom.failAccountList(null);
  }
});

test('doctor flags a world-readable config file and a config problem', async () => {
  chmodSync(join(dataDir, 'config.json'), 0o644);
  try {
    const r = await cli(['doctor', '--json'], { ...env, COZE_BOT_ID: 'not-a-number' });
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
    assert.equal(r.exitCode, 1);
    const modes = byTitle(checks, /owner only/);
    assert.equal(modes.ok, false);
    assert.match(modes.fix!, /chmod 600 .*config\.json/);
    const cfg = byTitle(checks, /configuration/);
    assert.equal(cfg.ok, false);
    assert.match(cfg.detail, /COZE_BOT_ID/);
    assert.ok(byTitle(checks, /Coze bot/).skipped, 'the bot check needs a valid COZE_BOT_ID');
  } finally {
    chmodSync(join(dataDir, 'config.json'), 0o600);
  }
});

test(
  'doctor and status name the store and the cache, and say when Redis does not answer',
  { skip: await requireMysql() },
  async () => {
    const db = await freshDatabase();
    try {
      const shared = { ...env, WXCOZE_DATABASE_URL: db.url, WXCOZE_REDIS_URL: TEST_REDIS_URL };
      const ok = await cli(['doctor', '--json'], shared);
      const checks = (JSON.parse(ok.stdout) as { checks: Check[] }).checks;
      assert.match(byTitle(checks, /store/).detail, /^mysql /);
      assert.match(byTitle(checks, /cache/).detail, /^redis redis:\/\/127\.0\.0\.1/);
      assert.ok(byTitle(checks, /cache/).ok);
      const status = await cli(['status', '--json'], shared);
      const s = JSON.parse(status.stdout) as {
        store: { kind: string; reachable: boolean };
        cache: { kind: string; reachable: boolean };
      };
      assert.deepEqual(
        [s.store.kind, s.store.reachable, s.cache.kind, s.cache.reachable],
        ['mysql', true, 'redis', true],
      );

      const dead = { ...shared, WXCOZE_REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` };
      const bad = await cli(['doctor', '--json'], dead);
      assert.equal(bad.exitCode, 1);
      const cache = byTitle((JSON.parse(bad.stdout) as { checks: Check[] }).checks, /cache/);
      assert.equal(cache.ok, false);
      assert.match(cache.fix ?? '', /Start Redis/);
    } finally {
      await db.drop();
    }
  },
);
