/**
 * Everything wxcoze writes that holds secrets or customer messages is owner-only (0600 files in a 0700
 * folder) with --daemon, even from a shell whose umask would make them world-readable, and doctor
 * names those that are not. The foreground server: file-modes-foreground.test.ts; the Caddy site:
 * caddy-site.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

// The usual shell umask: without wxcoze's own, new files would be 0644 and folders 0755.
process.umask(0o022);

let f: Fakes;
const dirs: string[] = [];
before(async () => { f = await startFakes(); });
after(async () => {
  for (const d of dirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await f.close();
});

const mode = (p: string) => statSync(p).mode & 0o777;

/** The data directory's private files that exist while the server runs, with their modes. */
function privateModes(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of ['.', 'config.json', 'wxcoze.db', 'wxcoze.db-wal', 'wxcoze.db-shm', 'logs', 'logs/wxcoze.log', 'wxcoze.pid', 'wxcoze.run.json', 'wxcoze.service']) {
    const p = join(dataDir, rel);
    out[rel] = existsSync(p) ? mode(p).toString(8) : 'missing';
  }
  return out;
}
const EXPECTED = {
  '.': '700', 'config.json': '600', 'wxcoze.db': '600', 'wxcoze.db-wal': '600', 'wxcoze.db-shm': '600', logs: '700',
  'logs/wxcoze.log': '600', 'wxcoze.pid': '600', 'wxcoze.run.json': '600', 'wxcoze.service': '600',
};

async function initData(): Promise<{ dataDir: string; env: Record<string, string> }> {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const r = await cli(initFlags(f, await freePort(), ['--domain', 'kf.example.com']), env);
  assert.equal(r.exitCode, 0, r.out);
  return { dataDir, env };
}

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
  const check = (JSON.parse(r.stdout) as { checks: { title: string; ok: boolean; detail: string; fix?: string }[] }).checks.find((c) => /owner only/.test(c.title))!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /wxcoze\.db is 644.*wxcoze\.log is 640/);
  assert.match(check.fix!, /chmod 600 \S+wxcoze\.db && chmod 600 \S+wxcoze\.log/);
});
