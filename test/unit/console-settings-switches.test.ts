import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateChanges } from '../../src/config/console-settings.js';
import { loadConfig } from '../../src/config/load.js';
import { applyOverrides } from '../../src/config/service-overrides.js';
import { settingsFor } from '../../src/config/service-settings.js';

const KF = 'wkShop';
const base = loadConfig({ env: {}, cwd: '/' }).config.service;

test('the waiting notice and the survey are off by default and can be turned on in the console, per account', () => {
  assert.equal(settingsFor(base, KF).waitNotice, false);
  assert.equal(settingsFor(base, KF).survey, false);
  assert.equal(settingsFor(base, KF).waitNoticeMs, 8000);
  const v = validateChanges(
    [
      { scope: KF, key: 'waitNotice', value: 'true' },
      { scope: KF, key: 'waitNoticeMs', value: '5000' },
      { scope: KF, key: 'waitNoticeText', value: '稍等，马上查好' },
      { scope: '*', key: 'survey', value: 'on' },
    ],
    [KF],
    [],
  );
  assert.ok(v.ok, JSON.stringify(v));
  const live = applyOverrides(base, v.changes);
  assert.deepEqual(
    [
      settingsFor(live, KF).waitNotice,
      settingsFor(live, KF).waitNoticeMs,
      settingsFor(live, KF).waitNoticeText,
    ],
    [true, 5000, '稍等，马上查好'],
  );
  assert.equal(settingsFor(live, KF).survey, true);
  assert.equal(settingsFor(live, 'wkOther').waitNotice, false);
});

test('a bad wait time is refused beside its field', () => {
  const v = validateChanges([{ scope: KF, key: 'waitNoticeMs', value: 'soon' }], [KF], []);
  assert.equal(v.ok, false);
  assert.ok(!v.ok && v.problems[0]!.key === 'waitNoticeMs');
});

test('WXCOZE_ACCOUNTS takes the wait time as a JSON number', () => {
  const { config, problems } = loadConfig({
    env: {
      WXCOZE_ACCOUNTS: JSON.stringify({ [KF]: { waitNotice: true, waitNoticeMs: 3000, survey: 'on' } }),
    },
    cwd: '/',
  });
  assert.deepEqual(
    problems.filter((p) => p.key === 'WXCOZE_ACCOUNTS'),
    [],
  );
  const s = settingsFor(config.service, KF);
  assert.deepEqual([s.waitNotice, s.waitNoticeMs, s.survey], [true, 3000, true]);
});
