/**
 * The rotating log file under a small size limit: the count stays bounded, every line lands whole
 * and once, and the readers (`pastLines`, `LogFollower`) read through the rotated files in order.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogFollower, pastLines } from '../../src/cli/lib/log-follow.js';
import { loadConfig } from '../../src/config/load.js';
import { capAppendedFile, logFilesOldestFirst, RotatingFile } from '../../src/log/rotating-file.js';
import { tempDir } from '../helpers/harness.js';

const lineOf = (i: number) =>
  `${JSON.stringify({ n: i, msg: `line ${i} ${'x'.repeat(Math.abs(i) % 97)}` })}\n`;

function finished(f: RotatingFile): Promise<void> {
  return new Promise((resolve, reject) => f.flush((err) => (err ? reject(err) : resolve())));
}

test('rotation: files bounded in count and size, every line whole, the kept ones the newest in order', async () => {
  const file = join(tempDir('wxcoze-rot-'), 'logs', 'wxcoze.log');
  const f = new RotatingFile({ file, maxBytes: 2048, files: 4 });
  const written: string[] = [];
  for (let i = 0; i < 600; i++) {
    written.push(lineOf(i));
    f.write(lineOf(i));
    // Time passes between lines now and then (as in a server), so writes are in flight at rotations.
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await finished(f);
  const files = logFilesOldestFirst(file);
  assert.deepEqual(
    files.map((p) => p.slice(file.length)),
    ['.3', '.2', '.1', ''],
    'exactly 4 files, oldest first',
  );
  const kept = files.map((p) => readFileSync(p, 'utf8')).join('');
  assert.ok(kept.endsWith('\n'));
  const lines = kept.split('\n').slice(0, -1);
  for (const l of lines) JSON.parse(l); // none split
  // Whatever was kept is a contiguous run of the newest lines, in order: nothing lost in between.
  assert.deepEqual(
    lines.map((l) => `${l}\n`),
    written.slice(-lines.length),
  );
  for (const p of files.slice(0, -1))
    assert.ok(statSync(p).size <= 2048 + 16 * 1024, `${p} is about the limit, not unbounded`);
  assert.deepEqual(
    pastLines(file, 0, (l) => (l ? l : undefined)),
    lines,
    'pastLines reads them all, oldest first',
  );
  assert.deepEqual(
    pastLines(file, 3, (l) => (l ? l : undefined)),
    lines.slice(-3),
  );
  f.end();
});

test('at start: a full file is rotated first, and files beyond a smaller count are removed', async () => {
  const file = join(tempDir('wxcoze-rot-'), 'wxcoze.log');
  for (const n of [1, 2, 3, 4, 5]) writeFileSync(`${file}.${n}`, lineOf(n));
  writeFileSync(file, 'x'.repeat(3000) + '\n');
  const f = new RotatingFile({ file, maxBytes: 2048, files: 3 });
  f.write(lineOf(99));
  await finished(f);
  assert.deepEqual(
    logFilesOldestFirst(file).map((p) => p.slice(file.length)),
    ['.2', '.1', ''],
  );
  assert.equal(readFileSync(file, 'utf8'), lineOf(99));
  f.end();
});

test('follow: every line exactly once across several rotations, including ones rotated past between polls', async () => {
  const file = join(tempDir('wxcoze-rot-'), 'wxcoze.log');
  const f = new RotatingFile({ file, maxBytes: 1024, files: 10 });
  f.write(lineOf(-1)); // history before following: not printed again
  await finished(f);
  const follower = new LogFollower(file, true);
  const seen: string[] = [];
  const written: string[] = [];
  for (let i = 0; i < 300; i++) {
    written.push(lineOf(i).slice(0, -1));
    f.write(lineOf(i));
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    if (i % 25 === 0) {
      seen.push(...follower.poll());
    }
  }
  await finished(f);
  // Polls until quiet: the follower moves past a rotated file only after a poll that found nothing new.
  for (let k = 0; k < 5; k++) seen.push(...follower.poll());
  follower.close();
  assert.equal(seen.length, written.length, 'no line lost or repeated');
  assert.deepEqual(seen, written);
  f.end();
});

test('WXCOZE_LOG_MAX_SIZE takes 10MB, 500KB, 2048; refuses what is not a size', () => {
  const size = (v: string) => loadConfig({ env: { WXCOZE_LOG_MAX_SIZE: v }, cwd: tempDir() });
  assert.equal(size('10MB').config.logRotation.maxBytes, 10 * 1024 * 1024);
  assert.equal(size('500 kb').config.logRotation.maxBytes, 500 * 1024);
  assert.equal(size('2048').config.logRotation.maxBytes, 2048);
  const bad = size('ten').problems.find((p) => p.key === 'WXCOZE_LOG_MAX_SIZE');
  assert.ok(bad, 'refused');
  assert.equal(loadConfig({ env: {}, cwd: tempDir() }).config.logRotation.files, 10);
});

test("a daemon's stderr file (O_APPEND) is cut without a hole: the writer goes on at the new end", () => {
  const file = join(tempDir('wxcoze-rot-'), 'daemon.err');
  writeFileSync(file, '');
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, 'x'.repeat(3000));
    assert.equal(capAppendedFile(file, 2048), true);
    writeSync(fd, 'after the cut\n');
    assert.equal(readFileSync(file, 'utf8'), 'after the cut\n', 'no zeros where the old text was');
    assert.equal(readFileSync(`${file}.1`, 'utf8'), 'x'.repeat(3000));
    assert.equal(capAppendedFile(file, 2048), false, 'under the limit: left alone');
  } finally {
    closeSync(fd);
  }
});

test('a log file that cannot be opened (a folder in its place) costs the lines, not the process', async () => {
  const dir = tempDir();
  const file = join(dir, 'wxcoze.log');
  mkdirSync(file); // what the server finds there instead of a file
  const errors: string[] = [];
  const f = new RotatingFile({ file, maxBytes: 10_000, files: 3, onError: (e) => errors.push(e.message) });
  // Before and after the failed open is reported: neither may throw from inside the caller that logs.
  f.write(lineOf(1));
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 2; i < 50; i++) assert.doesNotThrow(() => f.write(lineOf(i)));
  assert.equal(errors.length, 1, 'said once, not once per line');
  assert.match(errors[0]!, /EISDIR/);
  f.end();
});

test('once the log file can be opened again, lines land in it (tried again after a while, not per line)', async () => {
  const dir = tempDir();
  const file = join(dir, 'wxcoze.log');
  mkdirSync(file);
  const errors: string[] = [];
  const f = new RotatingFile({
    file,
    maxBytes: 10_000,
    files: 3,
    retryOpenMs: 100,
    onError: (e) => errors.push(e.message),
  });
  f.write(lineOf(1));
  await new Promise((r) => setTimeout(r, 50));
  rmdirSync(file); // the owner fixed it
  await new Promise((r) => setTimeout(r, 120));
  f.write(lineOf(2)); // this one sets off the new open, and waits in it
  await new Promise((r) => setTimeout(r, 50));
  f.write(lineOf(3));
  await finished(f);
  assert.equal(readFileSync(file, 'utf8'), lineOf(2) + lineOf(3));
  assert.equal(errors.length, 1);
  f.end();
});
