/**
 * README's settings table is generated from the config schema (src/config/schema.ts): a setting
 * added, renamed or re-documented without `npm run docs:settings` fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SETTINGS } from '../../src/config/schema.js';
import { settingsTable, TABLE_END, TABLE_START, withSettingsTable } from '../../src/config/settings-doc.js';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

test('the README settings table is exactly what the schema generates (run `npm run docs:settings`)', () => {
  assert.ok(
    README.includes(TABLE_START) && README.includes(TABLE_END),
    'README.md lost its settings-table markers',
  );
  assert.equal(
    withSettingsTable(README),
    README,
    'README.md settings table differs from the schema: run `npm run docs:settings`',
  );
});

test('the generated table has one row per setting, with its aliases and default', () => {
  const rows = settingsTable().split('\n').slice(2);
  assert.equal(rows.length, Object.keys(SETTINGS).length);
  const row = (name: string) => rows.find((r) => r.startsWith(`| \`${name}\` |`));
  assert.match(row('WECOM_SECRET')!, /\| `WECOM_KF_SECRET`, `WEWORK_SECRET` \| — \(required\) \|/);
  assert.match(row('COZE_TIMEOUT_MS')!, /\| `120000` \| longest silence/);
  assert.match(row('WXCOZE_HANDOFF_KEYWORDS')!, /`转人工,人工客服`/);
  // A "|" in a meaning would split the row: it is escaped.
  for (const r of rows) assert.equal(r.replace(/\\\|/g, '').split('|').length, 6, r);
});

test('a README without the markers is refused with a message, not silently left alone', () => {
  assert.throws(() => withSettingsTable('# wxcoze\n'), /no <!-- settings:start/);
});
