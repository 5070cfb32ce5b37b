/**
 * What the file-mode tests share: a shell umask that would make files world-readable, a data directory
 * set up by `init` against the fakes, and the modes every private file must have.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

// The usual shell umask: without wxcoze's own, new files would be 0644 and folders 0755.
process.umask(0o022);

let f: Fakes;
const dirs: string[] = [];
before(async () => {
  f = await startFakes();
});
after(async () => {
  for (const d of dirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await f.close();
});

export const mode = (p: string) => statSync(p).mode & 0o777;

/** The data directory's private files that exist while the server runs, with their modes. */
export function privateModes(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of [
    '.',
    'config.json',
    'wxcoze.db',
    'wxcoze.db-wal',
    'wxcoze.db-shm',
    'logs',
    'logs/wxcoze.log',
    'wxcoze.pid',
    'wxcoze.run.json',
    'wxcoze.service',
  ]) {
    const p = join(dataDir, rel);
    out[rel] = existsSync(p) ? mode(p).toString(8) : 'missing';
  }
  return out;
}
export const EXPECTED = {
  '.': '700',
  'config.json': '600',
  'wxcoze.db': '600',
  'wxcoze.db-wal': '600',
  'wxcoze.db-shm': '600',
  logs: '700',
  'logs/wxcoze.log': '600',
  'wxcoze.pid': '600',
  'wxcoze.run.json': '600',
  'wxcoze.service': '600',
};

export async function initData(): Promise<{ dataDir: string; env: Record<string, string> }> {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const r = await cli(initFlags(f, await freePort(), ['--domain', 'kf.example.com']), env);
  assert.equal(r.exitCode, 0, r.out);
  return { dataDir, env };
}
