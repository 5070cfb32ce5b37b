/**
 * The CLI with a Coze OAuth service app (`init --coze-auth oauth`, `doctor`, `start`) against the fake
 * Coze, which verifies the signed JWT: the right key works; a wrong key, an unknown key id or a key
 * file others can read is refused with what to do. (A personal token's expiry: coze-token-expiry.test.ts.)
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  appKeys,
  fakeOAuthApp,
  OAUTH_APP_ID,
  OAUTH_KEY_ID,
  strangerKeys,
  writeKeyFile,
} from '../helpers/coze-oauth.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes({ oauth: fakeOAuthApp() });
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
  warning?: boolean;
}
async function doctor(env: Record<string, string>) {
  const r = await cli(['doctor', '--json'], env);
  const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
  const by = (re: RegExp) => {
    const c = checks.find((x) => re.test(x.title));
    assert.ok(c, `no check matching ${re}`);
    return c;
  };
  return { ...r, checks, by };
}

const oauthFlags = (keyFile: string, keyId = OAUTH_KEY_ID) => [
  '--coze-auth',
  'oauth',
  '--coze-oauth-app-id',
  OAUTH_APP_ID,
  '--coze-oauth-key-id',
  keyId,
  '--coze-oauth-key-file',
  keyFile,
];

test('init --coze-auth oauth with a wrong private key stops with a clear error and writes nothing', async () => {
  const dir = tempDir();
  const wrongKey = writeKeyFile(dir, strangerKeys().privatePem);
  const env = baseEnv({ WXCOZE_DATA_DIR: join(dir, 'data') });
  const r = await cli([...initFlags(f, 18000), ...oauthFlags(wrongKey)], env);
  assert.equal(r.exitCode, 1, r.out);
  assert.match(
    r.out,
    new RegExp(
      `✗ Coze OAuth app: Coze refused the JWT signed with ${wrongKey} \\(invalid_client[^)]*\\): that private key is not the one of public key ${OAUTH_KEY_ID}`,
    ),
  );
  assert.match(r.out, /→ Open the service app at .*: check its 应用 ID .*公钥指纹 .*创建 Key/);
  assert.ok(!existsSync(join(dir, 'data', 'config.json')), 'nothing written');

  // An unknown key id: Coze's own words, and where the 公钥指纹 is.
  const kid = await cli(
    [
      ...initFlags(f, 18000),
      ...oauthFlags(writeKeyFile(dir, appKeys().privatePem, 0o600, 'k.pem'), 'wrongKeyId123'),
    ],
    env,
  );
  assert.equal(kid.exitCode, 1, kid.out);
  assert.match(
    kid.out,
    /does not know the public key id wrongKeyId123 \(invalid_client: "invalid jwt: kid not been registred"\)/,
  );

  // A key file others can read is refused before anything is sent.
  const loose = writeKeyFile(dir, appKeys().privatePem, 0o644, 'loose.pem');
  const l = await cli([...initFlags(f, 18000), ...oauthFlags(loose)], env);
  assert.equal(l.exitCode, 1, l.out);
  assert.match(
    l.out,
    new RegExp(`${loose} is 644: other users of this machine can read it\\.\\s*→ Run: chmod 600 ${loose}`),
  );
});

test('init with the OAuth app, then doctor: the app gets a token; a replaced key file or loose mode is named with the fix, and start refuses it', async () => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const keyFile = writeKeyFile(dir);
  const r = await cli([...initFlags(f, await freePort()), ...oauthFlags(keyFile)], env);
  assert.equal(r.exitCode, 0, r.out);
  assert.match(r.out, new RegExp(`✓ OAuth app ${OAUTH_APP_ID} got an access token`));
  const values = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;
  assert.equal(values.COZE_JWT_OAUTH_CLIENT_ID, OAUTH_APP_ID);
  assert.equal(values.COZE_JWT_OAUTH_PUBLIC_KEY_ID, OAUTH_KEY_ID);
  assert.equal(values.COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH, keyFile);
  assert.equal(values.COZE_API_TOKEN, undefined, 'the token is gone: one way of signing in');

  const good = await doctor(env);
  const coze = good.by(/Coze token/);
  assert.ok(coze.ok && !coze.warning, JSON.stringify(coze));
  assert.match(
    coze.detail,
    new RegExp(`OAuth app ${OAUTH_APP_ID} got an access token .*renews it by itself`),
  );
  assert.ok(good.by(/Coze bot/).ok, 'the bot is found with the app token');
  assert.ok(good.by(/secret files/).ok);

  // Someone replaces private_key.pem with another key.
  writeKeyFile(dir, strangerKeys().privatePem);
  const wrong = await doctor(env);
  const refused = wrong.by(/Coze token/);
  assert.equal(refused.ok, false);
  assert.match(refused.detail, new RegExp(`Coze refused the JWT signed with ${keyFile} \\(invalid_client`));
  assert.match(refused.fix!, /公钥指纹/);
  assert.ok(wrong.by(/Coze bot/).skipped);
  assert.equal(wrong.exitCode, 1);

  // The right key again, but readable by others.
  writeKeyFile(dir, appKeys().privatePem, 0o644);
  chmodSync(keyFile, 0o644);
  const loose = await doctor(env);
  assert.match(loose.by(/secret files/).detail, new RegExp(`${keyFile} is 644`));
  assert.match(
    loose.by(/secret files/).fix!,
    new RegExp(`chmod 600 ${keyFile}.*start\` refuses the Coze private key`),
  );
  assert.match(loose.by(/Coze token/).detail, /is 644: other users of this machine can read it/);
  const start = await cli(['start'], env);
  assert.equal(start.exitCode, 2, start.out);
  assert.match(
    start.out,
    new RegExp(
      `wxcoze cannot start: The Coze private key file ${keyFile} is 644[\\s\\S]*→ Run: chmod 600 ${keyFile}`,
    ),
  );
});
