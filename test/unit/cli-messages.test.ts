/** Messages that used to confuse (issue 9), where the logic can be checked without running the CLI. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { createDatabaseHint } from '../../src/cli/commands/migrate-store.js';
import { explainCoze, tokenPage } from '../../src/cli/lib/coze-setup.js';
import { nextCommand, rememberDataDirFlag, withDataDir } from '../../src/cli/lib/next-command.js';
import { countInt, portNumber, positiveInt } from '../../src/cli/lib/options.js';
import { writeProblem } from '../../src/cli/lib/writable.js';
import { encodingAesKeyProblem, formatProblems, loadConfig } from '../../src/config/load.js';
import { CozeError } from '../../src/coze/errors.js';
import { describeSchemaError } from '../../src/openai/request.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const good: Record<string, string> = { ...GOOD_ENV };
const tmp = () => mkdtempSync(join(tmpdir(), 'wxcoze-msg-'));

test('an EncodingAESKey of 43 characters with a "+" names the character and its position', () => {
  const key = `${good.WECOM_ENCODING_AES_KEY.slice(0, 9)}+${good.WECOM_ENCODING_AES_KEY.slice(10)}`;
  assert.equal(key.length, 43);
  const dir = tmp();
  const { problems } = loadConfig({
    env: { ...good, WECOM_ENCODING_AES_KEY: key, WXCOZE_DATA_DIR: dir },
    cwd: dir,
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.problem, /character 10 of 43 is "\+"/);
  assert.doesNotMatch(problems[0]!.problem, /exactly 43 .*\(it has 43/);
  assert.match(
    encodingAesKeyProblem(`${good.WECOM_ENCODING_AES_KEY.slice(0, 42)} `)!,
    /character 43 of 43 is a space/,
  );
  assert.match(encodingAesKeyProblem('abc')!, /exactly 43 letters or digits \(it has 3\)/);
  assert.equal(encodingAesKeyProblem(good.WECOM_ENCODING_AES_KEY), undefined);
});

test('a config.json that cannot be read says so and why, instead of listing every value as "not set"', () => {
  const dir = tmp();
  // Root reads any file whatever its mode: a folder in the file's place fails the read for everyone.
  mkdirSync(join(dir, 'config.json'));
  const { problems } = loadConfig({ env: { WXCOZE_DATA_DIR: dir }, cwd: dir });
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.match(problems[0]!.problem, /config\.json cannot be read: it is a folder, not a file \(EISDIR\)/);
  assert.doesNotMatch(formatProblems(problems), /is not set/);
});

test('numeric options: whole numbers only, with what is expected', () => {
  assert.equal(positiveInt('seconds')('30'), 30);
  assert.equal(countInt()('0'), 0);
  assert.equal(portNumber('8000'), 8000);
  for (const bad of ['abc', '-3', '1.5', '', '0x10', '1e3'])
    assert.throws(() => positiveInt('seconds')(bad), InvalidArgumentError, bad);
  assert.throws(() => positiveInt('seconds')('0'), /Use a whole number of seconds, 1 or more/);
  assert.throws(() => countInt()('-3'), /0 or more/);
  assert.throws(() => portNumber('70000'), /1 to 65535/);
});

test('printed commands carry the --data-dir the user gave, quoted when needed', () => {
  try {
    rememberDataDirFlag(undefined);
    assert.equal(nextCommand('start --daemon'), 'wxcoze start --daemon');
    assert.equal(withDataDir('run `wxcoze doctor`'), 'run `wxcoze doctor`');
    rememberDataDirFlag('/srv/shop one');
    assert.equal(nextCommand('start --daemon'), "wxcoze --data-dir '/srv/shop one' start --daemon");
    assert.equal(
      withDataDir('run `wxcoze init`, then `wxcoze doctor`; wxcoze answers'),
      "run `wxcoze --data-dir '/srv/shop one' init`, then `wxcoze --data-dir '/srv/shop one' doctor`; wxcoze answers",
    );
  } finally {
    rememberDataDirFlag(undefined);
  }
});

test('a wrong token on a custom Coze base never builds a console URL from the API base', () => {
  const ctx = { apiBase: 'https://coze-proxy.example.internal/api' };
  const fix = explainCoze(new CozeError({ code: 4100, msg: 'authentication is invalid' }), ctx, 'token').fix;
  assert.doesNotMatch(fix, /the Coze console\/open|coze-proxy\.example\.internal\/api\/open/);
  assert.match(fix, /custom API base/);
  assert.match(fix, /https:\/\/www\.coze\.cn\/open\/oauth\/pats/);
  assert.match(fix, /https:\/\/www\.coze\.com\/open\/oauth\/pats/);
  assert.match(tokenPage('https://api.coze.com'), /^https:\/\/www\.coze\.com\/open\/oauth\/pats/);
});

test('schema errors in words: a missing field is "required", never ajv\'s "must have required property"', () => {
  assert.deepEqual(
    describeSchemaError({
      instancePath: '',
      keyword: 'required',
      message: "must have required property 'messages'",
      params: { missingProperty: 'messages' },
    }),
    { param: 'messages', message: 'Invalid request: `messages` is required.' },
  );
  assert.deepEqual(
    describeSchemaError({
      instancePath: '/messages/0/role',
      keyword: 'enum',
      message: 'must be equal to one of the allowed values',
      params: { allowedValues: ['user', 'assistant'] },
    }),
    {
      param: 'messages[0].role',
      message: 'Invalid request: `messages[0].role` must be one of: user, assistant.',
    },
  );
  assert.equal(
    describeSchemaError({ instancePath: '/n', keyword: 'type', message: 'must be integer', params: {} })
      .message,
    'Invalid request: `n` must be integer.',
  );
});

test('migrate-store names the exact CREATE DATABASE line for a missing database', () => {
  assert.match(
    createDatabaseHint('mysql://shop:pw@127.0.0.1:3306/wxcoze_shop'),
    /^CREATE DATABASE `wxcoze_shop` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n.*GRANT ALL ON `wxcoze_shop`\.\* TO 'shop'@'127\.0\.0\.1'/,
  );
});

test('an unwritable data directory is named with the reason (a file where a folder should be)', () => {
  const file = join(tmp(), 'not-a-folder');
  writeFileSync(file, 'x');
  const p = writeProblem({ dataDir: join(file, 'data'), logFile: join(file, 'data', 'logs', 'wxcoze.log') });
  assert.ok(p);
  assert.equal(p.code, 'ENOTDIR');
  assert.match(
    p.problem,
    /cannot write in .*not-a-folder\/data: a part of this path is a file, not a folder/,
  );
  assert.match(p.fix, /--data-dir/);
  assert.equal(writeProblem({ dataDir: tmp(), logFile: join(tmp(), 'logs', 'wxcoze.log') }), undefined);
});

test('a log file that cannot be appended to is named before the server starts (here a folder in its place)', () => {
  const dataDir = tmp();
  const logFile = join(dataDir, 'logs', 'wxcoze.log');
  mkdirSync(logFile, { recursive: true });
  const p = writeProblem({ dataDir, logFile });
  assert.ok(p);
  assert.equal(p.path, logFile);
  assert.match(
    p.problem,
    /cannot write its log file .*wxcoze\.log: a folder of that name is in the way \(EISDIR\)/,
  );
  assert.match(p.fix, /out of the way/);
});
