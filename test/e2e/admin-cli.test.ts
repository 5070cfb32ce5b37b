/**
 * `wxcoze admin …` and init's web-console stage, as a user runs them: the console's operators are
 * created, listed, reset and removed from the command line; doctor says whether the console is on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyPassword } from '../../src/console/auth/password.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { join } from 'node:path';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f?.close();
});

async function operators(dataDir: string) {
  const s = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  try {
    return await s.consoleAccess.listOperators();
  } finally {
    await s.close();
  }
}

test('admin password / add / list / remove, and the refusals a user can meet', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });

  const none = await cli(['admin', 'list'], env);
  assert.equal(none.exitCode, 0, none.out);
  assert.match(none.out, /no operator yet: the console is off.*wxcoze admin password/);

  const noTty = await cli(['admin', 'password'], env, { input: '' });
  assert.equal(noTty.exitCode, 1);
  assert.match(noTty.out, /No terminal to ask the password on: pipe it in with --password-stdin/);

  const short = await cli(['admin', 'password', '--password-stdin'], env, { input: 'short\n' });
  assert.equal(short.exitCode, 1);
  assert.match(short.out, /shorter than 8 characters/);

  const set = await cli(['admin', 'password', '--password-stdin'], env, { input: 'long enough secret\n' });
  assert.equal(set.exitCode, 0, set.out);
  assert.match(set.out, /operator admin added/);
  assert.match(set.out, /console: http:\/\/127\.0\.0\.1:8000\/admin/);
  assert.ok(!set.out.includes('long enough secret'), 'a typed password is never printed');
  const [admin] = await operators(dataDir);
  assert.ok(await verifyPassword('long enough secret', admin!.passwordHash));
  assert.ok(!admin!.passwordHash.includes('long enough secret'));

  const added = await cli(['admin', 'add', '小王', '--generate'], env);
  assert.equal(added.exitCode, 0, added.out);
  const generated = /password: (\S+)/.exec(added.out)![1]!;
  const wang = (await operators(dataDir)).find((o) => o.name === '小王')!;
  assert.ok(await verifyPassword(generated, wang.passwordHash));

  const again = await cli(['admin', 'add', '小王', '--generate'], env);
  assert.equal(again.exitCode, 1);
  assert.match(again.out, /operator "小王" already exists.*admin password --name 小王/);
  assert.match((await cli(['admin', 'add', 'two words'], env)).out, /no spaces/);

  const reset = await cli(['admin', 'password', '--name', '小王'], {
    ...env,
    WXCOZE_ADMIN_PASSWORD: 'another secret',
  });
  assert.equal(reset.exitCode, 0, reset.out);
  assert.match(reset.out, /password of 小王 changed/);

  const list = await cli(['admin', 'list'], env);
  assert.match(list.out, /^admin /m);
  assert.match(list.out, /^小王 /m);

  assert.equal((await cli(['admin', 'remove', 'nobody'], env)).exitCode, 1);
  const removed = await cli(['admin', 'remove', '小王'], env);
  assert.equal(removed.exitCode, 0, removed.out);
  assert.deepEqual(
    (await operators(dataDir)).map((o) => o.name),
    ['admin'],
  );

  // Every change is in the audit log, by the command line's user.
  const s = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  const log = await s.consoleAccess.listAudit({ limit: 10 });
  await s.close();
  assert.deepEqual(
    log.map((e) => e.action),
    ['operator_removed', 'password_set', 'operator_added', 'operator_added'],
  );
  assert.match(log[0]!.operator, /^cli/);
});

test('init --yes creates the console admin with a made-up password, printed once; doctor reports the console', async () => {
  const dataDir = tempDir();
  const port = await freePort();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const r = await cli(initFlags(f, port, ['--no-caddy', '--skip-checks']), env);
  assert.equal(r.exitCode, 0, r.out);
  assert.match(r.out, /console user admin created/);
  const pw = /password: (\S+)/.exec(r.out)![1]!;
  assert.ok(await verifyPassword(pw, (await operators(dataDir))[0]!.passwordHash));
  assert.match(r.out, new RegExp(`open http://127\\.0\\.0\\.1:${port}/admin`));

  // Run again: the admin is kept, no new password.
  const again = await cli(initFlags(f, port, ['--no-caddy', '--skip-checks']), env);
  assert.equal(again.exitCode, 0, again.out);
  assert.match(again.out, /console operators: admin/);
  assert.doesNotMatch(again.out, /^  password: /m);

  const doctor = await cli(['doctor', '--json'], env);
  const console_ = (
    JSON.parse(doctor.stdout) as { checks: { title: string; ok: boolean; detail: string }[] }
  ).checks.find((c) => c.title === 'web console');
  assert.ok(console_, doctor.stdout);
  assert.match(
    console_.detail,
    new RegExp(`on at http://127\\.0\\.0\\.1:${port}/admin \\(1 operator: admin\\)`),
  );
});

test('init --yes takes WXCOZE_ADMIN_PASSWORD when given', async () => {
  const dataDir = tempDir();
  const port = await freePort();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir, WXCOZE_ADMIN_PASSWORD: 'given by the script' });
  const r = await cli(initFlags(f, port, ['--no-caddy', '--skip-checks']), env);
  assert.equal(r.exitCode, 0, r.out);
  assert.doesNotMatch(r.out, /^  password: /m);
  assert.ok(await verifyPassword('given by the script', (await operators(dataDir))[0]!.passwordHash));
});
