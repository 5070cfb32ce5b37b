/** Tests that need a missing tool: a loud skip on a developer's machine, a failure in CI. */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/needs-caddy.ts');
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
// A PATH where no caddy can be found.
const EMPTY_PATH = mkdtempSync(join(tmpdir(), 'wxcoze-no-tools-'));

const run = (ci: string | undefined) =>
  execa(process.execPath, ['--import', TSX, '--test', '--test-reporter=spec', FIXTURE], {
    env: { PATH: EMPTY_PATH, HOME: process.env.HOME ?? '/root', ...(ci === undefined ? {} : { CI: ci }) },
    extendEnv: false,
    reject: false,
    all: true,
    cwd: ROOT,
  });

test('without caddy on a developer machine: skipped, with a banner naming the package to install', async () => {
  const r = await run(undefined);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(
    r.all,
    /!{80}\nSKIPPED: needs caddy — caddy is not installed \(or does not run\)\. Install it: apt-get install -y caddy\n!{80}/,
  );
  assert.match(r.all, /something that drives Caddy.*# SKIPPED: needs caddy/s);
});

test('without caddy in CI: the run fails, naming what CI must install', async () => {
  const r = await run('true');
  assert.equal(r.exitCode, 1, r.all);
  assert.match(
    r.all,
    /✖ CI has caddy[\s\S]*caddy is not installed \(or does not run\)\. CI must run every test: apt-get install -y caddy/,
  );
});
