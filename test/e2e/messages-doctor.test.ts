/**
 * What the CLI prints when something is wrong (issue 9, "messages that confused"): each case says
 * what is wrong and what to do, through the real CLI as a user runs it. This file: doctor, and the commands printed next under --data-dir.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

test('doctor: an unproven bot publication is a warning with the way to prove it, a chat proves it', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const r = await cli(['doctor'], env);
  assert.match(r.out, /! Coze bot: bot \d+ "[^"]*" found; not yet proven to be published to the API/);
  assert.match(r.out, /→ `wxcoze doctor --probe-chat` sends the bot one test message/);
  assert.doesNotMatch(r.out, /✓ Coze bot/);
  assert.match(r.out, /1 thing is not proven/);
  const proven = await cli(['doctor', '--probe-chat'], env);
  assert.match(proven.out, /✓ Coze bot: bot \d+ "[^"]*" is published to the API: it answered a test message/);
  const json = JSON.parse((await cli(['doctor', '--json'], env)).stdout) as {
    checks: { title: string; ok: boolean; warning?: boolean }[];
  };
  assert.deepEqual(
    json.checks.find((c) => c.title === 'Coze bot'),
    { ...json.checks.find((c) => c.title === 'Coze bot'), ok: true, warning: true },
  );
});

test('with --data-dir, every command printed as a next step carries it', async () => {
  const dataDir = join(tempDir(), 'shop one');
  const env = baseEnv({});
  const init = await cli(['--data-dir', dataDir, ...initFlags(f, await freePort())], env);
  assert.equal(init.exitCode, 0, init.out);
  const flag = `--data-dir '${dataDir}'`;
  for (const cmd of ['start --daemon', 'verify', 'doctor'])
    assert.ok(
      init.out.includes(`wxcoze ${flag} ${cmd}`),
      `init's next steps name ${cmd} with the flag:\n${init.out}`,
    );
  assert.doesNotMatch(init.out, /\bwxcoze (start|verify|doctor)\b/, 'no follow-up without the flag');
  const st = await cli(['--data-dir', dataDir, 'status'], env);
  assert.match(
    st.out,
    new RegExp(`start it with \`wxcoze ${flag.replace(/[.*'()]/g, '\\$&')} start --daemon\``),
  );
  const doctor = await cli(['--data-dir', dataDir, 'doctor'], env);
  assert.ok(doctor.out.includes(`\`wxcoze ${flag} doctor --probe-chat\``), doctor.out);
});
