/**
 * bin/wxcoze.js run as a program: its sh line starts node with the server's heap flags and malloc
 * arena cap for `start` (in the same process: exec), without them for other commands, and leaves a
 * NODE_OPTIONS choice alone. A stand-in `node` on PATH prints the arguments it was given.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVER_ENV, SERVER_V8_FLAGS } from '../../src/server/v8-flags.js';

const BIN = join(import.meta.dirname, '../../bin/wxcoze.js');

function nodeArgs(args: string[], env: Record<string, string> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-bin-'));
  writeFileSync(
    join(dir, 'node'),
    '#!/bin/sh\necho "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"\nfor a; do echo "$a"; done\n',
  );
  chmodSync(join(dir, 'node'), 0o755);
  const res = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { PATH: `${dir}:${process.env.PATH}`, ...env },
  });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.trim().split('\n');
}

/** The arguments the stand-in node got, and the malloc arena cap in its environment. */
function run(args: string[], env: Record<string, string> = {}): { arena: string; args: string[] } {
  const [first, ...rest] = nodeArgs(args, env);
  return { arena: first!.replace(/^MALLOC_ARENA_MAX=/, ''), args: rest };
}

test('`wxcoze start` runs node with the heap flags of src/server/v8-flags.ts, then this file and the arguments', () => {
  assert.deepEqual(run(['start', '--drain-ms', '5']).args, [
    ...SERVER_V8_FLAGS,
    BIN,
    'start',
    '--drain-ms',
    '5',
  ]);
  assert.deepEqual(run(['--data-dir', '/x', 'start']).args, [
    ...SERVER_V8_FLAGS,
    BIN,
    '--data-dir',
    '/x',
    'start',
  ]);
});

test('`wxcoze start` runs node with the malloc settings of src/server/v8-flags.ts; a value of the user is kept', () => {
  assert.deepEqual({ MALLOC_ARENA_MAX: run(['start']).arena }, SERVER_ENV);
  assert.equal(run(['start'], { MALLOC_ARENA_MAX: '4' }).arena, '4');
});

test('other commands run node without them; a heap size in NODE_OPTIONS is kept', () => {
  assert.deepEqual(run(['doctor']), { arena: '', args: [BIN, 'doctor'] });
  assert.deepEqual(run(['start'], { NODE_OPTIONS: '--max-old-space-size=512' }).args, [BIN, 'start']);
});
