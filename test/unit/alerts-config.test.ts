/**
 * The alert settings: sensible defaults, every threshold settable, a bad value refused with its
 * fix; and the webhook, which carries the robot's key, only ever shown masked (console settings
 * page, doctor, problems).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { alertsCheck } from '../../src/cli/doctor/checks/alerts.js';
import type { DoctorContext } from '../../src/cli/doctor/types.js';
import { settingsView } from '../../src/config/console-settings.js';
import { loadConfig } from '../../src/config/load.js';
import type { ConsoleSettingsStore } from '../../src/store/console-types.js';
import { cozeTokenExpiresAt } from '../../src/ops/alerts/readers.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const KEY = '693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa';
const ROBOT = `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${KEY}`;

function load(extra: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-alerts-cfg-'));
  return loadConfig({ env: { ...GOOD_ENV, WXCOZE_DATA_DIR: dir, ...extra }, cwd: dir });
}

test('off by default; the defaults: 30 s rounds, Coze 5 min, oldest message 10 min, 1 failure, handoff 2 min, certificate 14 days, token 7 days, disk 90 %', () => {
  const { config, problems } = load({});
  assert.deepEqual(problems, []);
  assert.deepEqual(config.alerts, {
    format: 'wecom',
    checkMs: 30_000,
    cozeDownMs: 5 * 60_000,
    pendingMs: 10 * 60_000,
    failedMessages: 1,
    handoffMs: 2 * 60_000,
    certMs: 14 * 86_400_000,
    tokenMs: 7 * 86_400_000,
    diskPercent: 90,
  });
});

test('every threshold has a setting; minutes may be fractions; the format follows the URL unless set', () => {
  const { config, problems } = load({
    WXCOZE_ALERT_WEBHOOK: 'https://hooks.example.com/services/T/B/secret',
    WXCOZE_ALERT_CHECK_MS: '5000',
    WXCOZE_ALERT_COZE_DOWN_MINUTES: '0.5',
    WXCOZE_ALERT_PENDING_MINUTES: '20',
    WXCOZE_ALERT_FAILED_MESSAGES: '3',
    WXCOZE_ALERT_HANDOFF_MINUTES: '1',
    WXCOZE_ALERT_CERT_DAYS: '20',
    WXCOZE_ALERT_TOKEN_DAYS: '3',
    WXCOZE_ALERT_DISK_PERCENT: '80',
  });
  assert.deepEqual(problems, []);
  assert.equal(config.alerts.format, 'json');
  assert.equal(config.alerts.cozeDownMs, 30_000);
  assert.equal(config.alerts.pendingMs, 20 * 60_000);
  assert.equal(config.alerts.failedMessages, 3);
  assert.equal(config.alerts.certMs, 20 * 86_400_000);
  assert.equal(config.alerts.diskPercent, 80);
  assert.equal(load({ WXCOZE_ALERT_WEBHOOK: ROBOT }).config.alerts.format, 'wecom');
  assert.equal(
    load({ WXCOZE_ALERT_WEBHOOK: 'https://proxy.example.com/x', WXCOZE_ALERT_WEBHOOK_FORMAT: 'wecom' }).config
      .alerts.format,
    'wecom',
  );
});

test('bad values are refused with what to do, and a bad webhook is never quoted', () => {
  const { problems } = load({
    WXCOZE_ALERT_WEBHOOK: `ftp://robot/${KEY}`,
    WXCOZE_ALERT_DISK_PERCENT: '120',
    WXCOZE_ALERT_PENDING_MINUTES: 'ten',
    WXCOZE_ALERT_WEBHOOK_FORMAT: 'slack',
  });
  const by = (k: string) => problems.find((p) => p.key === k)!;
  assert.equal(by('WXCOZE_ALERT_WEBHOOK').problem, 'WXCOZE_ALERT_WEBHOOK is not an http(s) URL');
  assert.match(by('WXCOZE_ALERT_WEBHOOK').fix, /群机器人/);
  assert.match(by('WXCOZE_ALERT_DISK_PERCENT').problem, /is not a whole number from 50 to 99/);
  assert.match(by('WXCOZE_ALERT_PENDING_MINUTES').problem, /is not a number of minutes/);
  assert.match(by('WXCOZE_ALERT_WEBHOOK_FORMAT').problem, /is not auto, wecom or json/);
  assert.ok(!JSON.stringify(problems).includes(KEY));
});

test("the console's settings page and doctor show the webhook with its key masked", async () => {
  const { config, loaded } = (() => {
    const l = load({ WXCOZE_ALERT_WEBHOOK: ROBOT });
    return { config: l.config, loaded: l };
  })();
  const store = { list: async () => [] } as unknown as ConsoleSettingsStore;
  const view = await settingsView(config, store, []);
  const secret = view.secrets.find((s) => s.env === 'WXCOZE_ALERT_WEBHOOK')!;
  assert.deepEqual(secret, {
    env: 'WXCOZE_ALERT_WEBHOOK',
    set: true,
    masked: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••••5aaa',
  });
  const on = await alertsCheck.run({
    loaded,
    config,
    badKeys: new Set<string>(),
  } as unknown as DoctorContext);
  assert.equal(on.ok, true);
  assert.equal(on.warning, undefined);
  assert.match(
    on.detail,
    /^on: WeCom group robot https:\/\/qyapi\.weixin\.qq\.com\/cgi-bin\/webhook\/send\?key=••••••5aaa/,
  );
  assert.ok(!on.detail.includes(KEY));

  const off = load({});
  const r = await alertsCheck.run({
    loaded: off,
    config: off.config,
    badKeys: new Set<string>(),
  } as unknown as DoctorContext);
  assert.equal(r.ok, true, 'off is not a failure');
  assert.equal(r.skipped, true);
  assert.match(r.detail, /^off .*WXCOZE_ALERT_WEBHOOK.*wxcoze alerts test/);
  const bad = load({ WXCOZE_ALERT_WEBHOOK: 'not a url' });
  const b = await alertsCheck.run({
    loaded: bad,
    config: bad.config,
    badKeys: new Set(bad.problems.map((p) => p.key)),
  } as unknown as DoctorContext);
  assert.equal(b.skipped, true);
  assert.match(b.detail, /needs a valid WXCOZE_ALERT_WEBHOOK/);
  assert.ok(!b.detail.includes('not a url'));
});

test("the Coze token's end, read from config.coze.tokenExpiresAt when the OAuth work provides it", async () => {
  const { config } = load({});
  assert.equal(await cozeTokenExpiresAt(config), null, 'unknown until it exists');
  const at = Date.parse('2025-09-01T00:00:00Z');
  // Any value a config might carry, not only the number the loader makes: the reader must cope.
  const withEnd = (v: unknown) =>
    ({ ...config, coze: { ...config.coze, tokenExpiresAt: v } }) as unknown as typeof config;
  assert.equal(await cozeTokenExpiresAt(withEnd(at)), at);
  assert.equal(await cozeTokenExpiresAt(withEnd(at / 1000)), at, 'seconds, as Coze gives them');
  assert.equal(await cozeTokenExpiresAt(withEnd('2025-09-01T00:00:00Z')), at);
  assert.equal(await cozeTokenExpiresAt(withEnd(async () => at)), at);
  assert.equal(await cozeTokenExpiresAt(withEnd('never')), null);
});
