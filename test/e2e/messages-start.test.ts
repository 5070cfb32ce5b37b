/**
 * What the CLI prints when something is wrong (issue 9, "messages that confused"): each case says
 * what is wrong and what to do, through the real CLI as a user runs it. This file: starting, reading the configuration and the log.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { unmet } from '../helpers/requirements.js';
import {
  baseEnv,
  BOT_ID,
  cli,
  CLI,
  COZE_TOKEN,
  spawnCli,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
} from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

/** A complete configuration in the environment only (no config.json), for commands that need one. */
const envConfig = (dataDir: string, extra: Record<string, string> = {}) =>
  baseEnv({
    WXCOZE_DATA_DIR: dataDir,
    WECOM_CORP_ID: 'ww1436e0e65a779aee',
    WECOM_SECRET: 'kf-secret-abcdefghijklmnop-XYZ',
    WECOM_TOKEN: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
    WECOM_ENCODING_AES_KEY: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
    WECOM_API_BASE: f.wecom.url,
    COZE_API_BASE: f.coze.url,
    COZE_API_TOKEN: COZE_TOKEN,
    COZE_BOT_ID: BOT_ID,
    PORT: '0',
    ...extra,
  });

test('start in the foreground on a data directory it cannot write: the path, why, and what to do — no stack trace', async () => {
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'not a folder');
  const dataDir = join(file, 'wxcoze');
  const r = await cli(['start'], envConfig(dataDir));
  assert.equal(r.exitCode, 1, r.out);
  assert.match(
    r.out,
    new RegExp(
      `cannot write in ${dataDir.replace(/[/.]/g, '\\$&')}: a part of this path is a file, not a folder \\(ENOTDIR\\)`,
    ),
  );
  assert.match(r.out, /→ Choose a data directory .*--data-dir/);
  assert.doesNotMatch(r.out, /Unhandled 'error' event|SonicBoom|\n\s+at /);
});

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
/** The CLI as nobody (uid 65534): root reads and writes anything, whatever the modes say. */
const asNobody = async (args: string[], env: Record<string, string>) => {
  const home = tempDir();
  chmodSync(home, 0o777);
  const r = await execa(
    setpriv!,
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args],
    {
      env: { ...env, HOME: home },
      extendEnv: false,
      reject: false,
      all: true,
      cwd: home,
    },
  );
  return { exitCode: r.exitCode ?? -1, out: String(r.all ?? '') };
};
const asNobodySkip =
  process.getuid?.() !== 0
    ? 'needs root to run the CLI as another user'
    : !setpriv
      ? unmet('setpriv', 'setpriv is not installed', 'apt-get install -y util-linux')
      : false;

test(
  'a config.json this user may not read: "permission denied", not six "is not set" lines',
  { skip: asNobodySkip },
  async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ WECOM_CORP_ID: 'ww1436e0e65a779aee' }), {
      mode: 0o600,
    });
    const r = await asNobody(['doctor'], baseEnv({ WXCOZE_DATA_DIR: dataDir }));
    assert.match(r.out, /config\.json cannot be read: permission denied \(EACCES\)/, r.out);
    assert.match(r.out, /Run wxcoze as the user that owns it/);
    assert.doesNotMatch(r.out, /is not set/);
    // The usual case: the whole data directory is another user's 0700 folder (init makes it so).
    chmodSync(dataDir, 0o700);
    const v = await asNobody(['verify'], baseEnv({ WXCOZE_DATA_DIR: dataDir }));
    assert.match(
      v.out,
      /wxcoze cannot verify the callback: 1 configuration problem\n.*config\.json cannot be read: permission denied \(EACCES\)/,
      v.out,
    );
    assert.doesNotMatch(v.out, /is not set|There is no configuration/);
  },
);

test(
  'start in a data directory owned by someone else: permission denied, whose folder, what to do',
  { skip: asNobodySkip },
  async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o755);
    const r = await asNobody(['start'], envConfig(dataDir));
    assert.equal(r.exitCode, 1, r.out);
    assert.match(r.out, new RegExp(`cannot write in ${dataDir}: permission denied \\(EACCES\\)`));
    assert.match(r.out, /→ Run wxcoze as the user that owns .*sudo chown -R/);
    assert.doesNotMatch(r.out, /Unhandled 'error' event|SonicBoom|\n\s+at /);
  },
);

test('logs -f before anything ran says it is waiting for the log; verify without config says to run init', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const child = spawnCli(['logs', '-f'], env);
  let said = '';
  child.all!.on('data', (d: Buffer) => {
    said += d.toString();
  });
  try {
    await waitFor(
      'logs -f to explain its wait',
      () => /no log file at .*wxcoze\.log yet: waiting for wxcoze to write one/.test(said),
      20_000,
    );
    assert.match(said, /`wxcoze start`/);
  } finally {
    child.kill('SIGTERM');
    await child;
  }

  const v = await cli(['verify'], env);
  assert.equal(v.exitCode, 2);
  assert.match(v.out, /There is no configuration to verify: no .*config\.json and no WECOM_\* variables/);
  assert.match(v.out, /→ Run `wxcoze init` first/);
  assert.doesNotMatch(v.out, /cannot start/);
});
