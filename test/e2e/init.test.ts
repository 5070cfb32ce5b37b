/** `wxcoze init --yes`: the whole non-interactive path against the fakes, and the setup walls it explains. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { WecomCrypto } from '../../src/wecom/crypto.js';
import {
  baseEnv,
  BOT_ID,
  cli,
  COZE_TOKEN,
  freePort,
  initFlags,
  KF,
  SECRET,
  startFakes,
  tempDir,
  UNPUBLISHED_BOT,
  type Fakes,
} from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

test('init --yes writes a 0600 config that start accepts, with a generated Token/AESKey the crypto accepts, and never prints the secrets', async () => {
  const dataDir = join(tempDir(), 'data');
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const port = await freePort();
  const r = await cli(initFlags(f, port, ['--domain', 'kf.example.com']), env);
  assert.equal(r.exitCode, 0, r.out);

  const file = join(dataDir, 'config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'config.json is 0600');
  assert.equal(statSync(dataDir).mode & 0o777, 0o700, 'data dir is 0700');
  const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  assert.equal(values.WECOM_OPEN_KFID, KF, 'the only managed kf account is picked');
  assert.equal(values.WXCOZE_DOMAIN, 'kf.example.com');
  assert.match(values.WECOM_TOKEN!, /^[A-Za-z0-9]{32}$/);
  assert.match(values.WECOM_ENCODING_AES_KEY!, /^[A-Za-z0-9]{43}$/);

  // The generated pair works with WeCom's algorithm, and start's config loader accepts the file alone.
  const crypto = new WecomCrypto(values.WECOM_TOKEN!, values.WECOM_ENCODING_AES_KEY!, values.WECOM_CORP_ID!);
  const enc = crypto.encrypt('1616140317555161061');
  assert.equal(
    crypto.verifyUrl(crypto.sign('1700000000', '42', enc), '1700000000', '42', enc),
    '1616140317555161061',
  );
  const { problems, config } = loadConfig({ env: { WXCOZE_DATA_DIR: dataDir }, cwd: dataDir });
  assert.deepEqual(problems, []);
  assert.equal(config.server.port, port);
  assert.equal(config.domain, 'kf.example.com');

  // Ready to paste: the URL and the generated Token/AESKey; never the Coze token or the WeCom secret.
  assert.match(r.out, /https:\/\/kf\.example\.com\/wechat\/hook/);
  assert.ok(r.out.includes(values.WECOM_TOKEN!) && r.out.includes(values.WECOM_ENCODING_AES_KEY!));
  assert.ok(!r.out.includes(COZE_TOKEN) && !r.out.includes(SECRET), 'secrets are masked');
  assert.match(r.out, /pat_…9Zq/);
  assert.ok(existsSync(join(dataDir, 'Caddyfile')) && existsSync(join(dataDir, 'wxcoze.service')));
  assert.match(
    readFileSync(join(dataDir, 'Caddyfile'), 'utf8'),
    new RegExp(`kf\\.example\\.com \\{[\\s\\S]*reverse_proxy 127\\.0\\.0\\.1:${port}`),
  );
  assert.match(
    readFileSync(join(dataDir, 'wxcoze.service'), 'utf8'),
    new RegExp(`Environment=WXCOZE_DATA_DIR=${dataDir}`),
  );

  // Re-running edits the file: current values are the defaults, the Token/AESKey are kept.
  const again = await cli(['init', '--yes', '--port', String(port + 1)], env);
  assert.equal(again.exitCode, 0, again.out);
  const after2 = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  assert.equal(after2.PORT, String(port + 1));
  assert.equal(after2.WECOM_TOKEN, values.WECOM_TOKEN);
  assert.equal(after2.COZE_API_TOKEN, COZE_TOKEN);
  assert.match(again.out, /keeping Token/);
  assert.ok(!again.out.includes(values.WECOM_TOKEN!), 'a kept Token is masked');
});

test('init --yes reads the same environment variables as start (and the older bridge names)', async () => {
  const dataDir = tempDir();
  const env = baseEnv({
    WXCOZE_DATA_DIR: dataDir,
    COZE_API_BASE: f.coze.url,
    COZE_API_TOKEN: COZE_TOKEN,
    COZE_BOT_ID: BOT_ID,
    WEWORK_CORPID: 'ww1436e0e65a779aee',
    WEWORK_SECRET: SECRET,
    WECOM_API_BASE: f.wecom.url,
    WXCOZE_DOMAIN: 'kf.example.org',
    PORT: '18999',
    WEWORK_TOKEN: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
    WEWORK_ENCODING_AES_KEY: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  });
  const r = await cli(['init', '--yes', '--no-caddy'], env);
  assert.equal(r.exitCode, 0, r.out);
  const values = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;
  assert.equal(
    values.WECOM_TOKEN,
    'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
    'the existing Token is kept, not regenerated',
  );
  assert.equal(values.WXCOZE_DOMAIN, 'kf.example.org');
  assert.equal(values.PORT, '18999');
});

test('init --yes stops at a wrong secret, an unknown bot, a bad token or an unpublished bot, saying what to do, and writes nothing', async () => {
  const cases: [string, string[], RegExp][] = [
    [
      'secret',
      ['--secret', 'wrong-secret-0000000000'],
      /errcode 40001[\s\S]*应用管理 → 自建 → your app → Secret/,
    ],
    [
      'corp id',
      ['--corp-id', 'ww0000000000000000'],
      /does not know the CorpID "ww0000000000000000"[\s\S]*我的企业 → 企业信息/,
    ],
    [
      'coze token',
      ['--coze-token', 'pat_expired_token_000000'],
      /Coze rejected the token[\s\S]*4100[\s\S]*个人访问令牌/,
    ],
    ['bot id', ['--bot-id', '7000000000000000000'], /no bot 7000000000000000000[\s\S]*after \/bot\//],
    [
      'unpublished bot',
      ['--bot-id', UNPUBLISHED_BOT, '--check-chat'],
      /not published to the API channel \(4015\)[\s\S]*发布[\s\S]*API/,
    ],
  ];
  for (const [what, flags, expected] of cases) {
    const dataDir = tempDir();
    const r = await cli([...initFlags(f, 18000), ...flags], baseEnv({ WXCOZE_DATA_DIR: dataDir }));
    assert.equal(r.exitCode, 1, `${what}: ${r.out}`);
    assert.match(r.out, expected, what);
    assert.ok(!existsSync(join(dataDir, 'config.json')), `${what}: nothing written`);
  }
});

test('init --yes explains 60020 with the IP WeCom saw and 48002, writes the config and lists what is left', async () => {
  const dataDir = tempDir();
  f.wecom.failGettoken(60020, { fromIp: '198.51.100.23' });
  try {
    const r = await cli(initFlags(f, 18001, ['--host', '0.0.0.0']), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
    assert.equal(r.exitCode, 0, r.out);
    assert.match(r.out, /IP 198\.51\.100\.23 that is not in the app's trusted IPs \(errcode 60020/);
    assert.match(r.out, /企业可信IP → 配置, add 198\.51\.100\.23/);
    assert.match(r.out, /1 setup step left/);
    assert.ok(existsSync(join(dataDir, 'config.json')));
  } finally {
    f.wecom.failGettoken(null);
  }
  f.wecom.failAccountList(48002);
  try {
    const r = await cli(initFlags(f, 18002), baseEnv({ WXCOZE_DATA_DIR: tempDir() }));
    assert.equal(r.exitCode, 0, r.out);
    assert.match(r.out, /errcode 48002[\s\S]*微信客服 → API[\s\S]*可调用接口的应用/);
  } finally {
    f.wecom.failAccountList(null);
  }
});
