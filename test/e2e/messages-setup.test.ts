/**
 * What the CLI prints when something is wrong (issue 9, "messages that confused"): each case says
 * what is wrong and what to do, through the real CLI as a user runs it. This file: init and status.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, cli, COZE_TOKEN, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

test('init without Caddy: the missing Caddy is said once, as one step left', async () => {
  const dataDir = tempDir();
  const r = await cli(
    initFlags(f, await freePort(), ['--domain', 'kf.example.com']),
    baseEnv({ WXCOZE_DATA_DIR: dataDir, WXCOZE_CADDY_BIN: join(dataDir, 'no-caddy-here') }),
  );
  assert.equal(r.exitCode, 0, r.out);
  const left = r.out.slice(r.out.indexOf('setup step'));
  assert.match(r.out, /1 setup step left/);
  assert.doesNotMatch(r.out, /left in the consoles/);
  assert.equal(left.match(/Caddy is not installed/g)?.length, 1, left);
  assert.equal(
    r.out.match(/sudo apt install caddy/g)?.length,
    2,
    'once when found missing, once in the steps left',
  );
});

test('a wrong token on a custom Coze base: no console URL made from the API base', async () => {
  const r = await cli(
    initFlags(f, await freePort()).map((a) => (a === COZE_TOKEN ? 'pat_wrongTokenAbcdefghijklmnopqrstu' : a)),
    baseEnv({ WXCOZE_DATA_DIR: tempDir() }),
  );
  assert.equal(r.exitCode, 1, r.out);
  assert.match(r.out, /Coze rejected the token/);
  assert.match(r.out, /custom API base, not coze\.cn or coze\.com/);
  assert.match(r.out, /https:\/\/www\.coze\.cn\/open\/oauth\/pats/);
  assert.doesNotMatch(r.out, /the Coze console\/open|127\.0\.0\.1:\d+\/open\/oauth/);
});

test('status when stopped does not claim a listening port; init --yes on a config does not speak of Enter', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const st = await cli(['status'], env);
  assert.equal(st.exitCode, 3);
  assert.match(st.out, /○ not running/);
  assert.doesNotMatch(st.out, /listening/);
  const again = await cli(['init', '--yes', '--skip-checks', '--no-caddy'], env);
  assert.equal(again.exitCode, 0, again.out);
  assert.doesNotMatch(again.out, /Enter keeps/);
  assert.match(again.out, /updating the existing one/);
});
