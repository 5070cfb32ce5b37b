// How wxcoze authenticates with Coze, as the configuration says: the access token or the OAuth
// service app (exactly one), and the token's recorded expiry.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const OAUTH = {
  COZE_JWT_OAUTH_CLIENT_ID: '1180123456789',
  COZE_JWT_OAUTH_PUBLIC_KEY_ID: 'vZwfltTu9fAmkpXXRvtyRdDstN5S3ecEp1jW0zuT2Dk',
  COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: '/etc/wxcoze/private_key.pem',
};

function load(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-cfg-'));
  return loadConfig({ env: { ...env, WXCOZE_DATA_DIR: dir }, cwd: dir });
}

test('the OAuth app instead of the token: all three settings, no token needed', () => {
  const { config, problems } = load({ ...GOOD_ENV, COZE_API_TOKEN: '', ...OAUTH });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.coze.oauth, {
    appId: '1180123456789',
    keyId: 'vZwfltTu9fAmkpXXRvtyRdDstN5S3ecEp1jW0zuT2Dk',
    privateKeyFile: '/etc/wxcoze/private_key.pem',
  });
  assert.equal(config.coze.apiToken, '');
});

test('part of the OAuth app names what is missing', () => {
  const { problems } = load({
    ...GOOD_ENV,
    COZE_API_TOKEN: '',
    COZE_JWT_OAUTH_CLIENT_ID: OAUTH.COZE_JWT_OAUTH_CLIENT_ID,
  });
  assert.deepEqual(
    problems.map((p) => p.problem),
    [
      'COZE_JWT_OAUTH_PUBLIC_KEY_ID is not set, but COZE_JWT_OAUTH_CLIENT_ID is',
      'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH is not set, but COZE_JWT_OAUTH_CLIENT_ID is',
    ],
  );
  assert.match(problems[0]!.fix, /needs all three/);
});

test('both the token and the OAuth app: refused, saying where the token comes from', () => {
  const { problems } = load({ ...GOOD_ENV, ...OAUTH });
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.key, 'COZE_API_TOKEN');
  assert.match(problems[0]!.problem, /Both COZE_API_TOKEN \(from env\) and the OAuth app/);
  assert.match(problems[0]!.fix, /Keep one/);
});

test('neither: the token is missing, and either way is offered', () => {
  const { problems } = load({ ...GOOD_ENV, COZE_API_TOKEN: '' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.problem, /COZE_API_TOKEN is not set \(nor the OAuth app/);
  assert.match(problems[0]!.fix, /OAuth service app/);
});

test('the private key path must be a full path; ~/ is the home directory', () => {
  const rel = load({
    ...GOOD_ENV,
    COZE_API_TOKEN: '',
    ...OAUTH,
    COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: 'key.pem',
  });
  assert.ok(
    rel.problems.some((p) => /COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH.*is not a full path/.test(p.problem)),
  );
  const home = load({
    ...GOOD_ENV,
    COZE_API_TOKEN: '',
    ...OAUTH,
    COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: '~/k.pem',
  });
  assert.deepEqual(home.problems, []);
  assert.ok(home.config.coze.oauth!.privateKeyFile.endsWith('/k.pem'));
  assert.ok(home.config.coze.oauth!.privateKeyFile.startsWith('/'));
});

test("the token's expiry: a day starts at midnight in the business's offset; an ISO time is exact", () => {
  assert.equal(
    load({ ...GOOD_ENV, WXCOZE_COZE_TOKEN_EXPIRES_AT: '2025-07-31' }).config.coze.tokenExpiresAt,
    Date.parse('2025-07-30T16:00:00Z'),
  );
  assert.equal(
    load({ ...GOOD_ENV, WXCOZE_COZE_TOKEN_EXPIRES_AT: '2025-07-31', WXCOZE_UTC_OFFSET: '+00:00' }).config.coze
      .tokenExpiresAt,
    Date.parse('2025-07-31T00:00:00Z'),
  );
  assert.equal(
    load({ ...GOOD_ENV, WXCOZE_COZE_TOKEN_EXPIRES_AT: '2025-07-31T12:30:00+08:00' }).config.coze
      .tokenExpiresAt,
    Date.parse('2025-07-31T04:30:00Z'),
  );
  const bad = load({ ...GOOD_ENV, WXCOZE_COZE_TOKEN_EXPIRES_AT: '2025-02-30' });
  assert.ok(
    bad.problems.some((p) => /WXCOZE_COZE_TOKEN_EXPIRES_AT.*is not a date like 2025-07-31/.test(p.problem)),
  );
  // With the OAuth app the token is not used: its expiry is nobody's concern.
  assert.equal(
    load({ ...GOOD_ENV, COZE_API_TOKEN: '', ...OAUTH, WXCOZE_COZE_TOKEN_EXPIRES_AT: '2025-07-31' }).config
      .coze.tokenExpiresAt,
    undefined,
  );
});
