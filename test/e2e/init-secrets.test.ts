/**
 * Secrets kept off the command line (where `ps` shows them to every user): init --yes takes them from
 * the environment, from files or from standard input, and warns once when one is passed as a flag.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  baseEnv,
  BOT_ID,
  cli,
  COZE_TOKEN,
  CORP_ID,
  freePort,
  SECRET,
  startFakes,
  tempDir,
  type Fakes,
} from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

/** init --yes against the fakes with no secret among the flags. */
const flagsWithoutSecrets = async () => [
  'init',
  '--yes',
  '--coze-region',
  f.coze.url,
  '--bot-id',
  BOT_ID,
  '--corp-id',
  CORP_ID,
  '--wecom-api-base',
  f.wecom.url,
  '--port',
  String(await freePort()),
  '--host',
  '0.0.0.0',
  '--no-caddy',
];
const config = (dataDir: string) =>
  JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;

test('secrets from the environment: accepted, no warning', async () => {
  const dataDir = tempDir();
  const r = await cli(
    await flagsWithoutSecrets(),
    baseEnv({ WXCOZE_DATA_DIR: dataDir, COZE_API_TOKEN: COZE_TOKEN, WECOM_SECRET: SECRET }),
  );
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual([config(dataDir).COZE_API_TOKEN, config(dataDir).WECOM_SECRET], [COZE_TOKEN, SECRET]);
  assert.doesNotMatch(r.out, /warning/);
});

test('secrets from files and from standard input (--coze-token-file, --secret-file -, --token-file, --aes-key-file): accepted, no warning', async () => {
  const dataDir = tempDir();
  const dir = tempDir('wxcoze-secrets-');
  const tokenFile = join(dir, 'coze-token');
  writeFileSync(tokenFile, `${COZE_TOKEN}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'cb-token'), 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo\n');
  writeFileSync(join(dir, 'aes'), '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt');
  const r = await cli(
    [
      ...(await flagsWithoutSecrets()),
      '--coze-token-file',
      tokenFile,
      '--secret-file',
      '-',
      '--token-file',
      join(dir, 'cb-token'),
      '--aes-key-file',
      join(dir, 'aes'),
    ],
    baseEnv({ WXCOZE_DATA_DIR: dataDir }),
    { input: `${SECRET}\n` },
  );
  assert.equal(r.exitCode, 0, r.out);
  const values = config(dataDir);
  assert.deepEqual(
    [values.COZE_API_TOKEN, values.WECOM_SECRET, values.WECOM_TOKEN, values.WECOM_ENCODING_AES_KEY],
    [COZE_TOKEN, SECRET, 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo', '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt'],
  );
  assert.doesNotMatch(r.out, /warning/);
});

test('secrets passed as flags still work, with one warning on stderr naming them and what to use instead', async () => {
  const dataDir = tempDir();
  const r = await cli(
    [...(await flagsWithoutSecrets()), '--coze-token', COZE_TOKEN, '--secret', SECRET],
    baseEnv({ WXCOZE_DATA_DIR: dataDir }),
  );
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(config(dataDir).WECOM_SECRET, SECRET);
  assert.equal(r.out.match(/warning:/g)?.length, 1, r.out);
  assert.match(
    r.out,
    /warning: --coze-token, --secret put secrets on the command line, where other users of this machine see them \(`ps`\) and your shell history keeps them\.\n  → Next time use COZE_API_TOKEN=… in the environment or --coze-token-file <path>; WECOM_SECRET=… in the environment or --secret-file <path>/,
  );
  assert.ok(!r.stdout.includes('warning:'), 'the warning goes to stderr');
});

test('a secret file that cannot be used: init says which and what to do, and writes nothing', async () => {
  const dir = tempDir('wxcoze-secrets-');
  writeFileSync(join(dir, 'empty'), '\n');
  const cases: [string[], RegExp][] = [
    [
      ['--coze-token-file', join(dir, 'missing')],
      /--coze-token-file \S+missing: cannot read it \(ENOENT\)\. Give the path of a file holding the secret, - for standard input, or set COZE_API_TOKEN instead\./,
    ],
    [['--coze-token-file', join(dir, 'empty')], /--coze-token-file \S+empty is empty: put the secret in it/],
    [
      ['--secret', SECRET, '--secret-file', join(dir, 'empty')],
      /--secret and --secret-file both given: use only --secret-file \(or WECOM_SECRET in the environment\)/,
    ],
    [
      ['--coze-token-file', '-', '--secret-file', '-'],
      /--coze-token-file - and --secret-file - both read standard input: only one secret can come from it/,
    ],
  ];
  for (const [flags, expected] of cases) {
    const dataDir = tempDir();
    const r = await cli(
      [...(await flagsWithoutSecrets()), ...flags],
      baseEnv({ WXCOZE_DATA_DIR: dataDir, COZE_API_TOKEN: COZE_TOKEN, WECOM_SECRET: SECRET }),
      { input: 'x\n' },
    );
    assert.equal(r.exitCode, 1, r.out);
    assert.match(r.out, expected);
    assert.match(r.out, /Nothing was written\./);
    assert.ok(!existsSync(join(dataDir, 'config.json')));
  }
});
