/**
 * `wxcoze init` refuses exactly what the configuration loader refuses: a value `init --yes` writes is
 * one `wxcoze start` accepts, and a value `start` would refuse stops init first. Both go through
 * the schema (src/config/schema.ts); this runs the real init stages (offline, `--yes`) and the real
 * loadConfig on the same inputs, fixed ones and generated ones.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { InitAbort, type InitContext } from '../../src/cli/init/context.js';
import type { Stage } from '../../src/cli/init/stage.js';
import { callbackSecretsStage } from '../../src/cli/init/stages/callback-secrets.js';
import { cozeStage } from '../../src/cli/init/stages/coze.js';
import { wecomStage } from '../../src/cli/init/stages/wecom.js';
import type { DataPaths } from '../../src/cli/lib/paths.js';
import { loadConfig } from '../../src/config/load.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const dir = mkdtempSync(join(tmpdir(), 'wxcoze-init-schema-'));
const good: Record<string, string> = { ...GOOD_ENV, WXCOZE_DATA_DIR: dir };

/** Whether the loader refuses `value` for `key`, everything else being a valid configuration. */
function loaderRefuses(key: string, value: string): boolean {
  const { problems } = loadConfig({ env: { ...good, [key]: value }, cwd: dir });
  return problems.some((p) => p.key === key);
}

/** Whether the init stage that asks for `key` stops on `value` (init --yes --skip-checks). */
async function initRefuses(stage: Stage, key: string, value: string): Promise<boolean> {
  const values: Record<string, string> = { ...good, [key]: value };
  const ctx: InitContext = {
    opts: {},
    interactive: false,
    checks: false,
    cwd: dir,
    dataDir: dir,
    paths: {} as DataPaths,
    existing: {},
    current: (k) => values[k],
    answers: {},
    walls: [],
  };
  const log = console.log;
  console.log = () => {};
  try {
    await stage.run(ctx);
    return false;
  } catch (err) {
    if (err instanceof InitAbort) return true;
    throw err;
  } finally {
    console.log = log;
  }
}

const cases: [key: string, stage: Stage, samples: string[]][] = [
  [
    'WECOM_CORP_ID',
    wecomStage,
    [
      GOOD_ENV.WECOM_CORP_ID,
      'x',
      'abc',
      'abcd',
      'ww 123',
      'ww-12_3',
      ` ${GOOD_ENV.WECOM_CORP_ID} `,
      'ww!x',
      'a'.repeat(64),
      'a'.repeat(65),
      '企业微信企业',
    ],
  ],
  [
    'WECOM_TOKEN',
    callbackSecretsStage,
    [GOOD_ENV.WECOM_TOKEN, '', 'a', 'abc!def', 'a'.repeat(32), 'a'.repeat(33), ' tok ', 'tok en', 'tok_en'],
  ],
  [
    'WECOM_ENCODING_AES_KEY',
    callbackSecretsStage,
    [
      GOOD_ENV.WECOM_ENCODING_AES_KEY,
      'short',
      `${GOOD_ENV.WECOM_ENCODING_AES_KEY.slice(0, 42)}+`,
      `${GOOD_ENV.WECOM_ENCODING_AES_KEY} `,
      `${GOOD_ENV.WECOM_ENCODING_AES_KEY}a`,
      `${GOOD_ENV.WECOM_ENCODING_AES_KEY.slice(0, 42)}中`,
    ],
  ],
  [
    'COZE_BOT_ID',
    cozeStage,
    [
      GOOD_ENV.COZE_BOT_ID,
      '12345',
      '1234',
      'my-bot',
      '7'.repeat(25),
      '7'.repeat(26),
      ` ${GOOD_ENV.COZE_BOT_ID} `,
      `${GOOD_ENV.COZE_BOT_ID}x`,
    ],
  ],
  [
    // Dates to come (a past one is init's own refusal: the token it is told about no longer works).
    'WXCOZE_COZE_TOKEN_EXPIRES_AT',
    cozeStage,
    [
      '2099-07-31',
      '2099-02-30',
      '2099-7-31',
      '31.07.2099',
      '2099-07-31T12:30:00+08:00',
      '2099-07-31T12:30:00Z',
      '2099-07-31T12:30',
      'next month',
      '',
    ],
  ],
];

for (const [key, stage, samples] of cases) {
  test(`${key}: init refuses exactly what the config loader refuses`, async () => {
    let refused = 0;
    for (const value of samples) {
      const loader = loaderRefuses(key, value);
      assert.equal(await initRefuses(stage, key, value), loader, `${key}=${JSON.stringify(value)}`);
      if (loader) refused++;
    }
    // The samples really cover both answers (a test that only ever accepts proves nothing).
    assert.ok(refused > 0 && refused < samples.length, `${key}: ${refused} of ${samples.length} refused`);
    // And generated values: characters near the rules' edges (digits, letters, -, _, +, space, CJK).
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...'0123456789abcwwXYZ-_+/ =中'), minLength: 1, maxLength: 50 }),
          // Near the AES key's 43 and the token's 32: mostly letters and digits.
          fc.string({ unit: fc.constantFrom(...'0123456789aZ+ '), minLength: 30, maxLength: 45 }),
        ),
        async (value) => {
          assert.equal(
            await initRefuses(stage, key, value),
            loaderRefuses(key, value),
            JSON.stringify(value),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
}
