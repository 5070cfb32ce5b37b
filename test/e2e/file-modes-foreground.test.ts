/**
 * Everything wxcoze writes that holds secrets or customer messages is owner-only (0600 files in a 0700
 * folder) when the server runs in the foreground too, from a shell whose umask would make them
 * world-readable; files an older version left readable are tightened at start.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
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
