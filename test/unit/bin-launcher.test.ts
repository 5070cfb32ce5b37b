/**
 * bin/wxcoze.js run as a program: its sh line starts node with the server's heap flags for `start`
 * (in the same process: exec), without them for other commands, and leaves a NODE_OPTIONS choice
 * alone. A stand-in `node` on PATH prints the arguments it was given.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SERVER_V8_FLAGS } from '../../src/server/v8-flags.js';

const BIN = join(import.meta.dirname, '../../bin/wxcoze.js');

function nodeArgs(args: string[], env: Record<string, string> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-bin-'));
  writeFileSync(join(dir, 'node'), '#!/bin/sh\nfor a; do echo "$a"; done\n');
  chmodSync(join(dir, 'node'), 0o755);
  const res = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { PATH: `${dir}:${process.env.PATH}`, ...env },
  });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.trim().split('\n');
}

test('`wxcoze start` runs node with the heap flags of src/server/v8-flags.ts, then this file and the arguments', () => {
  assert.deepEqual(nodeArgs(['start', '--drain-ms', '5']), [
    ...SERVER_V8_FLAGS,
    BIN,
    'start',
    '--drain-ms',
    '5',
  ]);
  assert.deepEqual(nodeArgs(['--data-dir', '/x', 'start']), [
    ...SERVER_V8_FLAGS,
    BIN,
    '--data-dir',
    '/x',
    'start',
  ]);
});

test('other commands run node without them; a heap size in NODE_OPTIONS is kept', () => {
  assert.deepEqual(nodeArgs(['doctor']), [BIN, 'doctor']);
  assert.deepEqual(nodeArgs(['start'], { NODE_OPTIONS: '--max-old-space-size=512' }), [BIN, 'start']);
});
