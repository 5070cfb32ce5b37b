/** The per-setting validators `init` and `doctor` use are the schema `loadConfig` applies. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configCheck } from '../../src/cli/doctor/checks/config.js';
import type { DoctorContext } from '../../src/cli/doctor/types.js';
import { loadConfig, promptValidator, settingProblem } from '../../src/config/load.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const good: Record<string, string> = { ...GOOD_ENV };

test('settingProblem: the same words as loadConfig, never quoting a secret', () => {
  assert.equal(settingProblem('WECOM_CORP_ID', good.WECOM_CORP_ID), undefined);
  assert.equal(
    settingProblem('WECOM_TOKEN', ` ${good.WECOM_TOKEN} `),
    undefined,
    'surrounding spaces are trimmed, as loadConfig does',
  );
  assert.equal(settingProblem('WECOM_TOKEN', 'abc!def'), 'WECOM_TOKEN must be 1–32 letters or digits');
  assert.match(
    settingProblem('WECOM_ENCODING_AES_KEY', `${good.WECOM_ENCODING_AES_KEY.slice(0, 42)}+`)!,
    /^WECOM_ENCODING_AES_KEY must be 43 letters or digits, but character 43 of 43 is "\+"$/,
  );
  assert.equal(
    settingProblem('WXCOZE_DOMAIN', 'https://kf.example.com'),
    'WXCOZE_DOMAIN="https://kf.example.com" is not a domain name',
  );
  assert.equal(settingProblem('PORT', '70000'), 'PORT="70000" is not a whole number from 0 to 65535');
  assert.equal(settingProblem('COZE_BOT_ID', '12ab'), 'COZE_BOT_ID="12ab" is not a Coze id (digits only)');
  assert.doesNotMatch(settingProblem('WXCOZE_DATABASE_URL', 'postgres://u:hunter2@db/x')!, /hunter2/);
  assert.equal(
    settingProblem('WXCOZE_NOTICE_INTERVAL_MS', '1h'),
    'WXCOZE_NOTICE_INTERVAL_MS="1h" is not a whole number of milliseconds',
  );
  assert.equal(
    settingProblem('WXCOZE_QUIET_HOURS', '22-8'),
    'WXCOZE_QUIET_HOURS="22-8" is not like 22:00-08:00',
  );
  assert.equal(settingProblem('WXCOZE_UTC_OFFSET', '+8'), 'WXCOZE_UTC_OFFSET="+8" is not like +08:00');
  assert.equal(promptValidator('COZE_APP_ID')('7440000000000000002'), true);
  assert.equal(promptValidator('WXCOZE_HANDOFF_KEYWORDS')('人工，客服'), true);
  assert.equal(
    promptValidator('WXCOZE_WELCOME_MENU')('1,2,3,4,5,6,7,8,9,10,11'),
    'WXCOZE_WELCOME_MENU="1,2,3,4,5,6,7,8,9,10,11" has more than 10 buttons',
  );
});

test("doctor's configuration check says where each bad value came from", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-doc-'));
  writeFileSync(join(dir, '.env'), 'PORT=eighty\n');
  const loaded = loadConfig({
    env: { ...good, WXCOZE_DATA_DIR: dir, WXCOZE_FOLLOWUP_MENU: 'sure' },
    cwd: dir,
  });
  const r = await configCheck.run({ loaded } as DoctorContext);
  assert.equal(r.ok, false);
  assert.match(r.detail, /PORT="eighty" is not a whole number from 0 to 65535 \(from \.env\)/);
  assert.match(r.detail, /WXCOZE_FOLLOWUP_MENU="sure" is neither on nor off: .*\(from the environment\)/);
  assert.match(r.fix!, /Set PORT to a number between 0 and 65535/);
  const fine = await configCheck.run({
    loaded: loadConfig({ env: { ...good, WXCOZE_DATA_DIR: dir, PORT: '8001' }, cwd: dir }),
  } as DoctorContext);
  assert.equal(fine.ok, true);
  assert.match(fine.detail, /^8 of \d+ settings set, all valid/);
});

test('quiet hours in the business time: the period and the offset are read together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-quiet-'));
  const { config, problems } = loadConfig({
    env: { ...good, WXCOZE_DATA_DIR: dir, WXCOZE_QUIET_HOURS: '22:00-08:30', WXCOZE_UTC_OFFSET: '-05:00' },
    cwd: dir,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.service.quietHours, { startMin: 22 * 60, endMin: 8 * 60 + 30, offsetMin: -300 });
  assert.equal(
    loadConfig({ env: { ...good, WXCOZE_DATA_DIR: dir, WXCOZE_QUIET_HOURS: '22:00-08:00' }, cwd: dir }).config
      .service.quietHours?.offsetMin,
    480,
  );
  assert.equal(
    loadConfig({ env: { ...good, WXCOZE_DATA_DIR: dir }, cwd: dir }).config.service.quietHours,
    undefined,
  );
});
