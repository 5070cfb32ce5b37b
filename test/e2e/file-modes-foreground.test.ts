/**
 * Everything wxcoze writes that holds secrets or customer messages is owner-only (0600 files in a 0700
 * folder) when the server runs in the foreground too, from a shell whose umask would make them
 * world-readable; files an older version left readable are tightened at start.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, waitFor } from './helpers.js';
import { EXPECTED, initData, privateModes } from './file-modes-setup.js';

test('start in the foreground: the same modes; files an older version left 0644 are tightened', async () => {
  const { dataDir, env } = await initData();
  mkdirSync(join(dataDir, 'logs'), { mode: 0o755 });
  writeFileSync(join(dataDir, 'logs', 'wxcoze.log'), '', { mode: 0o644 });
  chmodSync(dataDir, 0o755);
  const child = execa(process.execPath, [CLI, 'start'], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
  });
  let out = '';
  child.all?.on('data', (d) => {
    out += d;
  });
  try {
    await waitFor(
      `the foreground server to listen\n${out}`,
      () => existsSync(join(dataDir, 'wxcoze.run.json')),
      30_000,
      100,
    );
    assert.deepEqual(privateModes(dataDir), EXPECTED);
  } finally {
    child.kill('SIGTERM');
    await child;
  }
});
