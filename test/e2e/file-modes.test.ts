/**
 * Everything wxcoze writes that holds secrets or customer messages is owner-only (0600 files in a 0700
 * folder) with --daemon, even from a shell whose umask would make them world-readable, and doctor
 * names those that are not. The foreground server: file-modes-foreground.test.ts; the Caddy site:
 * caddy-site.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from './helpers.js';
import { EXPECTED, initData, mode, privateModes } from './file-modes-setup.js';

let daemonData: { dataDir: string; env: Record<string, string> } | undefined;

test('start --daemon: database with -wal/-shm, logs, run files, config and unit are 0600 in 0700 folders', async () => {
  daemonData = await initData();
  const { dataDir, env } = daemonData;
  // A Caddyfile for a Caddy the user runs: it holds no secret and stays readable.
  assert.equal(mode(join(dataDir, 'Caddyfile')), 0o644);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  try {
    assert.deepEqual(privateModes(dataDir), EXPECTED);
    assert.equal(mode(join(dataDir, 'logs', 'daemon.err')), 0o600);
  } finally {
    assert.equal((await cli(['stop'], env)).exitCode, 0);
  }
});

test('doctor names each file others can read, with the chmod that fixes it', async () => {
  assert.ok(daemonData, 'needs the data directory of the test above');
  const { dataDir, env } = daemonData;
  chmodSync(join(dataDir, 'wxcoze.db'), 0o644);
  chmodSync(join(dataDir, 'logs', 'wxcoze.log'), 0o640);
  const r = await cli(['doctor', '--json'], env);
  const check = (
    JSON.parse(r.stdout) as { checks: { title: string; ok: boolean; detail: string; fix?: string }[] }
  ).checks.find((c) => /owner only/.test(c.title))!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /wxcoze\.db is 644.*wxcoze\.log is 640/);
  assert.match(check.fix!, /chmod 600 \S+wxcoze\.db && chmod 600 \S+wxcoze\.log/);
});
