/**
 * The log under a small size limit (WXCOZE_LOG_MAX_SIZE=2KB, WXCOZE_LOG_FILES=3) while the real
 * server answers customers: the files rotate and stay 3, no line is lost or split, `wxcoze logs`
 * reads through the rotated files oldest first, and `wxcoze logs -f` follows across rotations.
 * The server runs in the foreground, so its stdout carries every line too: the reference.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { logFilesOldestFirst } from '../../src/log/rotating-file.js';
import { settle } from '../helpers/harness.js';
import {
  baseEnv,
  cli,
  freePort,
  initFlags,
  KF,
  spawnCli,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
} from './helpers.js';

// Fresh fakes per test: two servers pulling one fake account would both answer its customers.
let f: Fakes;
beforeEach(async () => {
  f = await startFakes();
});
afterEach(async () => {
  await f.close();
});

const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{'));

test('rotation: no line lost or split; logs reads through the files; logs -f follows across rotations', async () => {
  const dataDir = tempDir();
  const env = baseEnv({
    WXCOZE_DATA_DIR: dataDir,
    WXCOZE_LOG_MAX_SIZE: '2KB',
    // Enough files that a burst of answers (about 15 KB at once) does not rotate a file away before
    // `logs -f` (5 looks a second) has read it; the count limit itself is the daemon test's.
    WXCOZE_LOG_FILES: '40',
    // Messages arrive without callbacks (the idle pull fetches them): no callback URL needed.
    WXCOZE_IDLE_PULL_S: '1',
  });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const logFile = join(dataDir, 'logs', 'wxcoze.log');

  const server = spawnCli(['start'], env);
  let serverOut = '';
  server.stdout!.on('data', (d) => {
    serverOut += d;
  });
  const follow = spawnCli(['logs', '-f', '--json', '-n', '0'], env);
  let followed = '';
  follow.stdout!.on('data', (d) => {
    followed += d;
  });
  try {
    await waitFor('the server listening', () => serverOut.includes('"msg":"wxcoze listening"'), 60_000);
    const customers = Array.from({ length: 12 }, (_, i) => `wmRotation${String(i).padStart(3, '0')}`);
    for (const c of customers)
      await f.wecom.customerSends(KF, c, { text: `第${c.slice(-3)}个问题，请回答` }, { notify: false });
    await waitFor(
      'every customer answered',
      () => customers.every((c) => f.wecom.sentTo(c).length === 1),
      60_000,
      100,
    );
    await settle(1000);
    const reference = jsonLines(serverOut);
    await waitFor('logs -f caught up', () => jsonLines(followed).at(-1) === reference.at(-1), 20_000, 100);

    // The files: rotated, within the count, each line whole, together the lines in order.
    const files = logFilesOldestFirst(logFile);
    assert.ok(files.length >= 4 && files.length <= 40, `${files.length} files`);
    const kept = files.map((p) => readFileSync(p, 'utf8')).join('');
    const keptLines = kept.split('\n').slice(0, -1);
    for (const l of keptLines) JSON.parse(l);
    assert.ok(kept.endsWith('\n'));
    assert.deepEqual(
      keptLines,
      reference.slice(-keptLines.length),
      'the kept lines are the newest, in order',
    );

    // `wxcoze logs` reads through the rotated files, oldest first.
    const all = await cli(['logs', '--json', '-n', '0'], env);
    assert.equal(all.exitCode, 0, all.out);
    assert.deepEqual(jsonLines(all.stdout), keptLines);
    const tail = await cli(['logs', '--json', '-n', '5'], env);
    assert.deepEqual(jsonLines(tail.stdout), keptLines.slice(-5));

    // `logs -f`: what it printed (the history at its start, then what it followed through every
    // rotation) is one unbroken run of the server's lines: nothing skipped, nothing twice.
    const got = jsonLines(followed);
    const start = reference.indexOf(got[0]!);
    assert.ok(start >= 0, 'the first line it printed is a line the server wrote');
    assert.deepEqual(got, reference.slice(start));
    assert.ok(
      got.filter((l) => l.includes('sync_msg page stored')).length >= 1 &&
        got.some((l) => customers.some((c) => l.includes(c))),
      'it followed the traffic, not only the start',
    );
  } finally {
    follow.kill('SIGTERM');
    server.kill('SIGTERM');
    await Promise.allSettled([follow, server]);
  }
});

test('start --daemon: its log rotates and stays at WXCOZE_LOG_FILES files, lines whole, read through; its stderr file stays small', async () => {
  const dataDir = tempDir();
  const env = baseEnv({
    WXCOZE_DATA_DIR: dataDir,
    WXCOZE_LOG_MAX_SIZE: '2KB',
    WXCOZE_LOG_FILES: '3',
    WXCOZE_IDLE_PULL_S: '1',
  });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const logFile = join(dataDir, 'logs', 'wxcoze.log');
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  try {
    const customers = Array.from({ length: 8 }, (_, i) => `wmDaemonRot${String(i).padStart(3, '0')}`);
    for (const c of customers)
      await f.wecom.customerSends(KF, c, { text: '后台运行也要轮转' }, { notify: false });
    await waitFor(
      'every customer answered',
      () => customers.every((c) => f.wecom.sentTo(c).length === 1),
      60_000,
      100,
    );
  } finally {
    assert.equal((await cli(['stop'], env)).exitCode, 0);
  }
  const files = logFilesOldestFirst(logFile);
  assert.deepEqual(
    files.map((p) => p.slice(logFile.length)),
    ['.2', '.1', ''],
  );
  const keptLines = files
    .map((p) => readFileSync(p, 'utf8'))
    .join('')
    .split('\n')
    .slice(0, -1);
  for (const l of keptLines) JSON.parse(l);
  const all = await cli(['logs', '--json', '-n', '0'], env);
  assert.deepEqual(jsonLines(all.stdout), keptLines);
  assert.ok(
    keptLines.some((l) => l.includes('"msg":"wxcoze stopped"')),
    'the lines written as it stopped are in the file',
  );
  assert.ok(statSync(join(dataDir, 'logs', 'daemon.err')).size <= 2048);
});
