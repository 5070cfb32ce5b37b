import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatProblems, loadConfig } from '../../src/config/load.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const good: Record<string, string> = { ...GOOD_ENV };

function tmp() {
  return mkdtempSync(join(tmpdir(), 'wxcoze-cfg-'));
}

test('a complete environment loads with no problems and the documented defaults', () => {
  const dir = tmp();
  const { config, problems } = loadConfig({ env: { ...good, WXCOZE_DATA_DIR: dir }, cwd: dir });
  assert.deepEqual(problems, []);
  assert.equal(config.server.port, 8000);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.wecom.apiBase, 'https://qyapi.weixin.qq.com');
  assert.equal(config.coze.apiBase, 'https://api.coze.cn');
  assert.equal(config.dataDir, dir);
});

test("the older Python bridge's .env names work unchanged", () => {
  const dir = tmp();
  writeFileSync(
    join(dir, '.env'),
    [
      'WEWORK_CORPID=ww1436e0e65a779aee',
      'WEWORK_SECRET=abc',
      'WEWORK_TOKEN=hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
      'WEWORK_ENCODING_AES_KEY=6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
      'COZE_API_TOKEN=pat_y',
      'COZE_BOT_ID=7379462189365198898',
      `WXCOZE_DATA_DIR=${dir}`,
    ].join('\n'),
  );
  const { config, problems } = loadConfig({ env: {}, cwd: dir });
  assert.deepEqual(problems, []);
  assert.equal(config.wecom.corpId, 'ww1436e0e65a779aee');
  assert.equal(config.wecom.secret, 'abc');
  assert.equal(config.coze.apiToken, 'pat_y');
});

test('environment overrides .env, which overrides the config file', () => {
  const dir = tmp();
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ ...good, PORT: 7001, COZE_BOT_ID: '1111111111', WECOM_SECRET: 'from-file' }),
  );
  writeFileSync(join(dir, '.env'), `PORT=7002\nWXCOZE_DATA_DIR=${dir}\nWECOM_SECRET=from-dotenv\n`);
  const { config, problems, sources } = loadConfig({ env: { PORT: '7003' }, cwd: dir });
  assert.deepEqual(problems, []);
  assert.equal(config.server.port, 7003);
  assert.equal(config.wecom.secret, 'from-dotenv');
  assert.equal(config.coze.botId, '1111111111');
  assert.equal(sources.PORT, 'env');
  assert.equal(sources.WECOM_SECRET, '.env');
});

test('every problem is listed at once, each with a fix', () => {
  const dir = tmp();
  const { problems } = loadConfig({
    env: {
      WXCOZE_DATA_DIR: dir,
      WECOM_ENCODING_AES_KEY: 'too-short',
      PORT: 'eighty',
      COZE_API_BASE: 'ftp://x',
    },
    cwd: dir,
  });
  const keys = problems.map((p) => p.key).sort();
  assert.deepEqual(
    keys,
    [
      'COZE_API_BASE',
      'COZE_API_TOKEN',
      'COZE_BOT_ID',
      'PORT',
      'WECOM_CORP_ID',
      'WECOM_ENCODING_AES_KEY',
      'WECOM_SECRET',
      'WECOM_TOKEN',
    ].sort(),
  );
  const aes = problems.find((p) => p.key === 'WECOM_ENCODING_AES_KEY')!;
  assert.match(aes.problem, /43/);
  const text = formatProblems(problems);
  assert.match(text, /8 configuration problems/);
  assert.match(text, /wxcoze doctor/);
  for (const p of problems) assert.ok(p.fix.length > 10);
});

test('problem messages never echo a secret value', () => {
  const dir = tmp();
  const { problems } = loadConfig({
    env: {
      ...good,
      WECOM_SECRET: 'SUPERSECRETVALUE',
      COZE_API_TOKEN: 'pat_SECRETTOKEN',
      WXCOZE_DATA_DIR: dir,
      PORT: '-1',
    },
    cwd: dir,
  });
  const text = formatProblems(problems);
  assert.doesNotMatch(text, /SUPERSECRETVALUE|SECRETTOKEN/);
});

test('WXCOZE_API_KEYS: comma-separated keys, :trust-headers marks a key; bad keys are problems that never quote the key', () => {
  const dir = tmp();
  const { config, problems } = loadConfig({
    env: {
      ...good,
      WXCOZE_DATA_DIR: dir,
      WXCOZE_API_KEYS: ' sk-abcdefgh , sk-owui-12345:trust-headers,sk-abcdefgh',
    },
    cwd: dir,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.openai.keys, [
    { key: 'sk-abcdefgh', trustHeaders: false },
    { key: 'sk-owui-12345', trustHeaders: true },
  ]);
  assert.deepEqual(config.apiKeys, ['sk-abcdefgh', 'sk-owui-12345']);
  assert.equal(config.openai.modelId, 'coze-bot-7379462189365198898');
  assert.equal(config.openai.modelName, 'Coze bot 7379462189365198898');
  assert.equal(config.openai.tasks, 'bot');

  const off = loadConfig({ env: { ...good, WXCOZE_DATA_DIR: dir }, cwd: dir });
  assert.deepEqual(off.config.openai.keys, []);

  const bad = loadConfig({
    env: {
      ...good,
      WXCOZE_DATA_DIR: dir,
      WXCOZE_API_KEYS: 'sk-secretvalue1:trust-header,short',
      WXCOZE_MODEL_ID: '旅行 bot',
      WXCOZE_OPENAI_TASKS: 'never',
    },
    cwd: dir,
  });
  assert.deepEqual(bad.problems.map((p) => p.key).sort(), [
    'WXCOZE_API_KEYS',
    'WXCOZE_API_KEYS',
    'WXCOZE_MODEL_ID',
    'WXCOZE_OPENAI_TASKS',
  ]);
  assert.ok(!formatProblems(bad.problems).includes('sk-secretvalue1'), 'a key never appears in a problem');
  assert.deepEqual(bad.config.openai.keys, []);
});

test('chatflow mode names its model after the workflow; WXCOZE_MODEL_ID/NAME and WXCOZE_OPENAI_TASKS=local are read', () => {
  const dir = tmp();
  const env = {
    ...good,
    COZE_BOT_ID: undefined,
    COZE_WORKFLOW_ID: '7440000000000000001',
    COZE_APP_ID: '7440000000000000002',
    WXCOZE_DATA_DIR: dir,
  };
  assert.equal(loadConfig({ env, cwd: dir }).config.openai.modelId, 'coze-flow-7440000000000000001');
  const { config, problems } = loadConfig({
    env: {
      ...env,
      WXCOZE_MODEL_ID: 'travel-bot',
      WXCOZE_MODEL_NAME: '旅行助手',
      WXCOZE_OPENAI_TASKS: 'local',
    },
    cwd: dir,
  });
  assert.deepEqual(problems, []);
  assert.equal(config.openai.modelId, 'travel-bot');
  assert.equal(config.openai.modelName, '旅行助手');
  assert.equal(config.openai.tasks, 'local');
});

test('WXCOZE_API_KEYS: key@tenant groups keys; API rate limits and CORS have defaults and are settable', () => {
  const dir = tmp();
  const { config, problems } = loadConfig({
    env: {
      ...good,
      WXCOZE_DATA_DIR: dir,
      WXCOZE_API_KEYS: 'sk-abcdefgh@shop,sk-owui-12345@shop:trust-headers,sk-other-123',
    },
    cwd: dir,
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.openai.keys, [
    { key: 'sk-abcdefgh', trustHeaders: false, tenant: 'shop' },
    { key: 'sk-owui-12345', trustHeaders: true, tenant: 'shop' },
    { key: 'sk-other-123', trustHeaders: false },
  ]);
  assert.deepEqual(config.openai.rateLimit, { perKey: 300, perIp: 600 });
  assert.deepEqual(config.openai.corsOrigins, []);
  const set = loadConfig({
    env: {
      ...good,
      WXCOZE_DATA_DIR: dir,
      WXCOZE_OPENAI_RATE_PER_KEY: '0',
      WXCOZE_OPENAI_RATE_PER_IP: '50',
      WXCOZE_OPENAI_CORS_ORIGINS: 'https://chat.example.com/,http://localhost:3000',
    },
    cwd: dir,
  });
  assert.deepEqual(set.problems, []);
  assert.deepEqual(set.config.openai.rateLimit, { perKey: 0, perIp: 50 });
  assert.deepEqual(set.config.openai.corsOrigins, ['https://chat.example.com', 'http://localhost:3000']);
});
