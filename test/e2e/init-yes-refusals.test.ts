/**
 * `init --yes` asks nothing, so each missing or malformed value stops it with what to pass instead,
 * section by section, and nothing is written. Offline (--skip-checks): these are the checks made
 * before any call to Coze or WeCom; init.test.ts covers the answers the services give.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { baseEnv, BOT_ID, cli, CORP_ID, tempDir } from './helpers.js';

const TOKEN = 'pat_e2eTokenAbcdefghijklmnopqrstu9Zq';
const SECRET = 'kf-secret-abcdefghijklmnop-XYZ';

test('init --yes names the first missing or malformed value with what to pass, and writes nothing', async () => {
  const coze = { COZE_API_TOKEN: TOKEN, COZE_BOT_ID: BOT_ID };
  const all = { ...coze, WECOM_CORP_ID: CORP_ID, WECOM_SECRET: SECRET };
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    [
      'nothing given',
      {},
      [],
      /COZE_API_TOKEN is missing: pass --coze-token-file or set COZE_API_TOKEN \(init --yes asks nothing\)\./,
    ],
    [
      'a bot id that is not one',
      { COZE_API_TOKEN: TOKEN },
      ['--bot-id', 'my-bot'],
      /✗ Coze bot: COZE_BOT_ID="my-bot" is not a Coze id \(digits only\)\. The bot id is the long number after \/bot\//,
    ],
    // Both WeCom values are needed: a missing Secret is named before a malformed CorpID is judged.
    [
      'no Secret, a malformed CorpID',
      coze,
      ['--corp-id', 'x'],
      /WECOM_SECRET is missing: pass --secret-file or set WECOM_SECRET/,
    ],
    [
      'a malformed CorpID',
      { ...coze, WECOM_SECRET: SECRET },
      ['--corp-id', 'x'],
      /✗ WECOM_CORP_ID="x" does not look like a CorpID\. The CorpID is letters and digits, usually 18 characters starting with "ww"/,
    ],
    [
      'a malformed callback Token',
      { ...all, WECOM_TOKEN: 'bad!' },
      [],
      /✗ WECOM_TOKEN must be 1–32 letters or digits\. Copy it exactly as the WeCom console shows it\. Or leave it out to generate one\./,
    ],
    [
      'a short EncodingAESKey',
      { ...all, WECOM_ENCODING_AES_KEY: 'short' },
      [],
      /✗ WECOM_ENCODING_AES_KEY must be exactly 43 letters or digits \(it has 5\)/,
    ],
    [
      'a domain with a scheme',
      all,
      ['--domain', 'https://kf.example.com'],
      /✗ WXCOZE_DOMAIN="https:\/\/kf\.example\.com" is not a domain name\. Use a bare domain like kf\.example\.com \(no https:\/\/, no path\)\./,
    ],
    [
      'a port out of range',
      all,
      ['--port', '70000'],
      /✗ PORT="70000" is not a whole number from 0 to 65535\. Use a port from 1 to 65535/,
    ],
    ['port 0', all, ['--port', '0'], /✗ PORT 0 picks a different port at each start\. Use a port from 1/],
    [
      'a listen address that is not one',
      all,
      ['--host', 'everywhere'],
      /✗ WXCOZE_HOST "everywhere" is not an address: use 0\.0\.0\.0/,
    ],
  ];
  for (const [what, env, flags, expected] of cases) {
    const dataDir = tempDir();
    const r = await cli(
      ['init', '--yes', '--skip-checks', ...flags],
      baseEnv({ WXCOZE_DATA_DIR: dataDir, ...env }),
    );
    assert.equal(r.exitCode, 1, `${what}: ${r.out}`);
    assert.match(r.out, expected, what);
    assert.ok(!existsSync(join(dataDir, 'config.json')), `${what}: nothing written`);
  }
});
