/**
 * The systemd unit `init` writes starts wxcoze: its ExecStart line, run exactly as written (no
 * shell, the unit's Environment= and WorkingDirectory=), serves /ping against the fakes and stops
 * cleanly on SIGTERM; and `systemd-analyze verify` accepts the file. The data directory has a
 * space in its name, so the quoting is exercised too. Needs dist/ (`npm run build`): the unit
 * runs bin/wxcoze.js.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { spawnUnit, unitCommand, verifyUnit } from '../helpers/systemd-unit.js';
import { SERVER_ENV } from '../../src/server/v8-flags.js';
import {
  baseEnv,
  cli,
  freePort,
  initFlags,
  ROOT,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
} from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

test('the unit init writes runs: its ExecStart serves /ping, its ExecStartPost returns once wxcoze is ready, it stops on SIGTERM, and systemd-analyze verify accepts it', async (t) => {
  const dataDir = join(tempDir(), 'my data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const r = await cli(initFlags(f, port), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.equal(r.exitCode, 0, r.out);
  const unitFile = join(dataDir, 'wxcoze.service');
  const unit = readFileSync(unitFile, 'utf8');
  assert.doesNotMatch(unit, /\{\{|\}\}/, 'no placeholder left');

  const cmd = unitCommand(unit);
  assert.equal(cmd.argv[0], process.execPath);
  assert.equal(cmd.argv.at(-2), join(ROOT, 'bin', 'wxcoze.js'), 'a clone is used in place');
  assert.equal(cmd.env.WXCOZE_DATA_DIR, dataDir);
  // glibc reads the arena cap when node starts: the unit's environment is where it comes from.
  assert.deepEqual({ MALLOC_ARENA_MAX: cmd.env.MALLOC_ARENA_MAX }, SERVER_ENV);

  const { child, output } = spawnUnit(unit, baseEnv());
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // As systemd does: ExecStartPost right after the start; it returns once /readyz says ready.
    const post = unitCommand(unit, 'ExecStartPost');
    assert.deepEqual(post.argv.slice(-3), ['status', '--wait-ready', '60']);
    const ready = await execa(post.argv[0]!, post.argv.slice(1), {
      env: { ...baseEnv(), ...post.env },
      cwd: post.cwd,
      extendEnv: false,
      reject: false,
      all: true,
    });
    assert.equal(ready.exitCode, 0, `ExecStartPost:\n${ready.all}\n${output()}`);
    assert.match(String(ready.all), new RegExp(`wxcoze is ready: http://127\\.0\\.0\\.1:${port}`));
    await waitFor(
      "the unit's server answers /ping",
      async () => (await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined))?.ok,
      30_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, `clean exit on SIGTERM:\n${output()}`);

  const v = await verifyUnit(unitFile);
  if ('skipped' in v) {
    console.error(`SKIPPED: ${v.skipped}`);
    t.skip(v.skipped);
    return;
  }
  assert.ok(v.ok, `systemd-analyze verify:\n${v.output}`);
});
