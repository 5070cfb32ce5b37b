/**
 * Everything wxcoze writes that holds secrets or customer messages is owner-only (0600 files in a 0700
 * folder) whether the server runs in the foreground or with --daemon, even from a shell whose umask
 * would make them world-readable; the Caddy site is the one file Caddy's own user must read.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, CLI, freePort, initFlags, startFakes, tempDir, TSX, waitFor, type Fakes } from './helpers.js';

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

test('start --daemon: database with -wal/-shm, logs, run files, config and unit are 0600 in 0700 folders', async () => {
  const { dataDir, env } = await initData();
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

test('start in the foreground: the same modes; files an older version left 0644 are tightened', async () => {
  const { dataDir, env } = await initData();
  mkdirSync(join(dataDir, 'logs'), { mode: 0o755 });
  writeFileSync(join(dataDir, 'logs', 'wxcoze.log'), '', { mode: 0o644 });
  chmodSync(dataDir, 0o755);
  const child = execa(process.execPath, ['--import', TSX, CLI, 'start'], { env, extendEnv: false, reject: false, all: true });
  let out = '';
  child.all?.on('data', (d) => { out += d; });
  try {
    await waitFor(`the foreground server to listen\n${out}`, () => existsSync(join(dataDir, 'wxcoze.run.json')), 30_000, 100);
    assert.deepEqual(privateModes(dataDir), EXPECTED);
  } finally {
    child.kill('SIGTERM');
    await child;
  }
});

test('doctor names each file others can read, with the chmod that fixes it', async () => {
  const { dataDir, env } = await initData();
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  assert.equal((await cli(['stop'], env)).exitCode, 0);
  chmodSync(join(dataDir, 'wxcoze.db'), 0o644);
  chmodSync(join(dataDir, 'logs', 'wxcoze.log'), 0o640);
  const r = await cli(['doctor', '--json'], env);
  const check = (JSON.parse(r.stdout) as { checks: { title: string; ok: boolean; detail: string; fix?: string }[] }).checks.find((c) => /owner only/.test(c.title))!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /wxcoze\.db is 644.*wxcoze\.log is 640/);
  assert.match(check.fix!, /chmod 600 \S+wxcoze\.db && chmod 600 \S+wxcoze\.log/);
});

test('init puts the site for the system Caddy beside its Caddyfile, readable by Caddy (0644), and imports it', async () => {
  const etc = join(tempDir('wxcoze-etc-caddy-'), 'caddy');
  mkdirSync(etc);
  const main = join(etc, 'Caddyfile');
  writeFileSync(main, ':80 {\n\tfile_server\n}\n');
  // A stand-in for the caddy binary: this test must not reload a Caddy that may run on this machine.
  const bin = join(etc, 'fake-caddy.sh');
  writeFileSync(bin, '#!/bin/sh\ncase "$1" in version) echo v2.6.2;; validate) echo Valid configuration;; reload) exit 0;; esac\n', { mode: 0o755 });
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir, WXCOZE_CADDY_MAIN: main, WXCOZE_CADDY_BIN: bin });
  const flags = initFlags(f, await freePort(), ['--domain', 'kf.example.com']).filter((a) => a !== '--no-caddy-reload');
  const r = await cli(flags, env);
  assert.equal(r.exitCode, 0, r.out);
  const site = join(etc, 'sites', 'wxcoze.caddy');
  assert.equal(mode(site), 0o644);
  assert.equal(mode(join(etc, 'sites')), 0o755);
  assert.match(readFileSync(site, 'utf8'), /kf\.example\.com \{/);
  assert.match(readFileSync(main, 'utf8'), new RegExp(`\\nimport ${site.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  assert.ok(!existsSync(join(dataDir, 'Caddyfile')), 'no copy left in the private data directory');
  assert.match(r.out, /Caddy: added to/);
  chmodSync(site, 0o600);
  const d = await cli(['doctor', '--json'], env);
  const check = (JSON.parse(d.stdout) as { checks: { title: string; ok: boolean; detail: string; fix?: string }[] }).checks.find((c) => /owner only/.test(c.title))!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /wxcoze\.caddy is 600, so Caddy's own user cannot read it/);
});
