/**
 * The parts of `wxcoze update` that decide things from what they find (src/cli/update/*): where
 * wxcoze is installed and how npm installs there, what a target names, how the server runs and how
 * it is stopped and started, when it counts as ready, and the SQLite copy put back whole.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupData, mysqldumpLine, restoreData } from '../../src/cli/update/data-backup.js';
import { locateInstall, npmInstallArgs, type FsProbe } from '../../src/cli/update/location.js';
import { waitReady, type ReadyProbe } from '../../src/cli/update/readiness.js';
import { detectRunMode, serviceControl, type ServiceProbe } from '../../src/cli/update/service.js';
import { resolveTarget } from '../../src/cli/update/target.js';
import { tail, type Run, type RunResult } from '../../src/cli/update/types.js';
import { tempDir } from '../helpers/harness.js';

const fsWith = (files: Record<string, unknown>): FsProbe => ({
  exists: (p) => p in files,
  readJson: (p) => files[p],
});

test('where wxcoze is installed decides how npm installs the next version; a checkout, npx and init’s copy are refused with what to do', () => {
  const global = locateInstall('/usr/local/lib/node_modules/wxcoze', '/root/.wxcoze', fsWith({}));
  assert.deepEqual(global, {
    kind: 'global',
    root: '/usr/local/lib/node_modules/wxcoze',
    prefix: '/usr/local',
  });
  assert.deepEqual(npmInstallArgs(global as never, '/tmp/w.tgz'), [
    'install',
    '--global',
    '--prefix',
    '/usr/local',
    '/tmp/w.tgz',
  ]);

  const project = locateInstall(
    '/srv/shop/node_modules/wxcoze',
    '/root/.wxcoze',
    fsWith({ '/srv/shop/package.json': { dependencies: { wxcoze: '^0.1.0' } } }),
  );
  assert.deepEqual(project, { kind: 'project', root: '/srv/shop/node_modules/wxcoze', project: '/srv/shop' });
  assert.deepEqual(npmInstallArgs(project as never, 'wxcoze@0.2.0'), [
    'install',
    '--prefix',
    '/srv/shop',
    'wxcoze@0.2.0',
  ]);
  // A prefix that happens to be a folder named lib with a project above it is still that project.
  assert.equal(
    locateInstall(
      '/srv/lib/node_modules/wxcoze',
      '/d',
      fsWith({ '/srv/lib/package.json': { dependencies: { wxcoze: '*' } } }),
    ).kind,
    'project',
  );

  const refusals: [string, Record<string, unknown>, RegExp, RegExp][] = [
    ['/home/me/wxcoze', { '/home/me/wxcoze/.git': true }, /git checkout/, /git pull && npm ci/],
    ['/root/.npm/_npx/5e3b/node_modules/wxcoze', {}, /npx's cache/, /npx wxcoze@latest init/],
    [
      '/root/.wxcoze/app/0.1.0/node_modules/wxcoze',
      {},
      /the copy `wxcoze init` made for the service/,
      /npx wxcoze@latest init/,
    ],
    ['/opt/wxcoze', {}, /not inside a node_modules folder/, /npm install -g wxcoze/],
    [
      '/srv/x/node_modules/wxcoze',
      { '/srv/x/package.json': { dependencies: {} } },
      /cannot tell how wxcoze/,
      /npm install -g wxcoze@<version>/,
    ],
  ];
  for (const [root, files, why, fix] of refusals) {
    const loc = locateInstall(root, '/root/.wxcoze', fsWith(files));
    assert.equal(loc.kind, 'refused', root);
    if (loc.kind !== 'refused') continue;
    assert.match(loc.why, why, root);
    assert.match(loc.fix, fix, root);
  }
});

const result = (stdout: string, exitCode = 0, stderr = ''): RunResult => ({ exitCode, stdout, stderr });

test('a target: a tarball is read for its version; a version or tag is asked of the registry; a wrong one says what to check', async () => {
  const dir = tempDir('wxcoze-upd-');
  const tgz = join(dir, 'wxcoze-0.2.0.tgz');
  writeFileSync(tgz, 'x');
  const calls: string[][] = [];
  const run: Run = async (cmd, args) => {
    calls.push([cmd, ...args]);
    if (cmd === 'tar') return result(JSON.stringify({ name: 'wxcoze', version: '0.2.0' }));
    if (args[1] === 'wxcoze@^0.2') return result('["0.2.0","0.2.1"]');
    if (args[1] === 'wxcoze@latest') return result('"0.3.0"');
    return result('', 1, 'npm error code E404\nnpm error 404 No match found for version 9.9.9');
  };
  assert.deepEqual(await resolveTarget('wxcoze-0.2.0.tgz', run, dir), {
    spec: tgz,
    version: '0.2.0',
    from: `the tarball ${tgz}`,
  });
  assert.deepEqual(calls[0], ['tar', '-xzOf', tgz, 'package/package.json']);
  assert.equal((await resolveTarget('^0.2', run, dir)).spec, 'wxcoze@0.2.1');
  assert.deepEqual(await resolveTarget(undefined, run, dir), {
    spec: 'wxcoze@0.3.0',
    version: '0.3.0',
    from: 'wxcoze@0.3.0 from the registry',
  });
  await assert.rejects(resolveTarget('9.9.9', run, dir), (err: Error & { detail?: string }) => {
    assert.match(err.message, /npm found no wxcoze version "9\.9\.9"/);
    assert.match(err.detail!, /No match found for version 9\.9\.9\n→ check the version/);
    return true;
  });
  await assert.rejects(resolveTarget(join(dir, 'missing.tgz'), run, dir), /there is no file .*missing\.tgz/);
  const notOurs: Run = async () => result(JSON.stringify({ name: 'left-pad', version: '1.0.0' }));
  await assert.rejects(resolveTarget(tgz, notOurs, dir), /is not a wxcoze package tarball/);
});

const probe = (p: Partial<ServiceProbe>): ServiceProbe => ({
  running: () => undefined,
  systemdMainPid: async () => undefined,
  processEnv: () => undefined,
  processCwd: () => undefined,
  processArgs: () => undefined,
  ...p,
});

test('how the server runs: the systemd unit owning its pid, a daemon (with its own environment, folder and drain time), a terminal, or not at all', async () => {
  assert.deepEqual(await detectRunMode(probe({})), { kind: 'stopped' });
  assert.deepEqual(
    await detectRunMode(
      probe({ running: () => ({ pid: 50, daemon: false }), systemdMainPid: async () => 50 }),
    ),
    { kind: 'systemd', pid: 50 },
  );
  // Another wxcoze unit's pid is not this server's.
  assert.deepEqual(
    await detectRunMode(
      probe({ running: () => ({ pid: 50, daemon: false }), systemdMainPid: async () => 9 }),
    ),
    { kind: 'foreground', pid: 50 },
  );
  assert.deepEqual(
    await detectRunMode(
      probe({
        running: () => ({ pid: 60, daemon: true }),
        processEnv: () => ({ PORT: '9000', WXCOZE_DAEMON: '1', NODE_CHANNEL_FD: '3', WXCOZE_DATA_DIR: '/d' }),
        processCwd: () => '/srv/shop',
        processArgs: () => [
          '/usr/bin/node',
          '--max-semi-space-size=1',
          '/x/bin/wxcoze.js',
          'start',
          '--drain-ms',
          '5000',
        ],
      }),
    ),
    {
      kind: 'daemon',
      pid: 60,
      env: { PORT: '9000', WXCOZE_DATA_DIR: '/d' },
      cwd: '/srv/shop',
      drainMs: '5000',
    },
  );
});

test('stopping and starting the way it runs: systemctl for the unit, the CLI with the daemon’s environment for a daemon', async () => {
  const calls: unknown[] = [];
  const run: Run = async (cmd, args, opts) => {
    calls.push({ cmd, args, cwd: opts?.cwd, env: opts?.env });
    return result('');
  };
  const sd = serviceControl({ kind: 'systemd', pid: 5 }, '/p/bin/wxcoze.js', run, '/usr/bin/node');
  await sd.stop();
  await sd.start();
  const env = { PORT: '9000' };
  const d = serviceControl(
    { kind: 'daemon', pid: 6, env, cwd: '/srv', drainMs: '5000' },
    '/p/bin/wxcoze.js',
    run,
    '/usr/bin/node',
  );
  await d.stop();
  await d.start();
  assert.deepEqual(calls, [
    { cmd: 'systemctl', args: ['stop', 'wxcoze'], cwd: undefined, env: undefined },
    { cmd: 'systemctl', args: ['start', 'wxcoze'], cwd: undefined, env: undefined },
    { cmd: '/usr/bin/node', args: ['/p/bin/wxcoze.js', 'stop', '--timeout', '60'], cwd: '/srv', env },
    {
      cmd: '/usr/bin/node',
      args: ['/p/bin/wxcoze.js', 'start', '--daemon', '--drain-ms', '5000'],
      cwd: '/srv',
      env,
    },
  ]);
  const failing: Run = async () => result('', 1, 'wxcoze did not start: it exited with code 1.');
  await assert.rejects(
    serviceControl(
      { kind: 'daemon', pid: 6, env, cwd: '/srv' },
      '/p/bin/wxcoze.js',
      failing,
      '/usr/bin/node',
    ).start(),
    (err: Error & { detail?: string }) => {
      assert.match(err.message, /`node \/p\/bin\/wxcoze\.js start --daemon` failed \(starting the daemon\)/);
      assert.match(err.detail!, /it exited with code 1/);
      return true;
    },
  );
});

/** A clock that moves only when the poller sleeps. */
function readyProbe(server: ReturnType<ReadyProbe['server']>, answers: Record<string, number | undefined>) {
  let now = 0;
  const asked: string[] = [];
  const p: ReadyProbe = {
    server: () => server,
    get: async (url) => (asked.push(url), answers[new URL(url).pathname]),
    sleep: async (ms) => void (now += ms),
    now: () => now,
  };
  return { p, asked };
}

test('ready: /readyz answering 200, or /ping where /readyz does not exist; not ready, or the wrong version, says which', async () => {
  const s = { pid: 7, url: 'http://127.0.0.1:8000', version: '0.2.0' };
  assert.deepEqual(await waitReady(readyProbe(s, { '/readyz': 200 }).p, '0.2.0', 5000), {
    ok: true,
    pid: 7,
    url: s.url,
    path: '/readyz',
  });
  const old = readyProbe(s, { '/readyz': 404, '/ping': 200 });
  assert.deepEqual(await waitReady(old.p, '0.2.0', 5000), { ok: true, pid: 7, url: s.url, path: '/ping' });
  assert.deepEqual(old.asked, [`${s.url}/readyz`, `${s.url}/ping`]);

  const draining = await waitReady(readyProbe(s, { '/readyz': 503 }).p, '0.2.0', 5000);
  assert.deepEqual(draining, {
    ok: false,
    why: 'wxcoze 0.2.0 (pid 7) answered /readyz with HTTP 503 (not ready: its store or cache does not answer) within 5 s',
  });
  const wrong = await waitReady(readyProbe({ ...s, version: '0.1.0' }, {}).p, '0.2.0', 5000);
  assert.match((wrong as { why: string }).why, /the server running is version 0\.1\.0, not 0\.2\.0/);
  const none = await waitReady(readyProbe(undefined, {}).p, '0.2.0', 5000);
  assert.deepEqual(none, { ok: false, why: 'no wxcoze 0.2.0 was running within 5 s' });
});

test('the SQLite copy and the config file are put back whole; the database’s -wal and -shm of the failed run are removed', async () => {
  const dataDir = tempDir('wxcoze-upd-data-');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'wxcoze.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec("CREATE TABLE inbox (msgid TEXT); INSERT INTO inbox VALUES ('kept-1'), ('kept-2')");
  writeFileSync(join(dataDir, 'config.json'), '{"PORT":8000}');
  // Taken while the database is open with rows still in its WAL: the copy holds them.
  const b = await backupData({ dataDir, dir: join(dataDir, 'backups', 'update-1') });
  assert.equal(b.database, join(dataDir, 'backups', 'update-1', 'wxcoze.db'));
  db.exec(
    "DELETE FROM inbox; CREATE TABLE added_by_new_version (x INTEGER); INSERT INTO inbox VALUES ('written-by-new')",
  );
  db.close();
  writeFileSync(`${file}-wal`, 'left by a crashed run');
  writeFileSync(join(dataDir, 'config.json'), '{"PORT":9999}');

  restoreData(b, dataDir);
  assert.ok(!existsSync(`${file}-wal`), 'the stale -wal is gone');
  const back = new Database(file, { readonly: true });
  assert.deepEqual(back.prepare('SELECT msgid FROM inbox ORDER BY msgid').all(), [
    { msgid: 'kept-1' },
    { msgid: 'kept-2' },
  ]);
  assert.equal(
    (
      back.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'added_by_new_version'").get() as {
        n: number;
      }
    ).n,
    0,
  );
  back.close();
  assert.equal(readFileSync(join(dataDir, 'config.json'), 'utf8'), '{"PORT":8000}');
});

test('MySQL: no copy is made; the dump line names the database, never the password', async () => {
  const dataDir = tempDir('wxcoze-upd-my-');
  const b = await backupData({
    dataDir,
    databaseUrl: 'mysql://wx:s3cret@db.local:3307/shop',
    dir: join(dataDir, 'b'),
  });
  assert.equal(b.database, undefined);
  assert.equal(
    b.mysqlDump,
    `mysqldump --single-transaction -h db.local -P 3307 -u wx -p shop > ${join(dataDir, 'b', 'wxcoze.sql')}`,
  );
  assert.doesNotMatch(mysqldumpLine('mysql://wx:s3cret@db/shop', '/f'), /s3cret/);
});

test("a program's long output keeps its first lines (what failed) and its last (where a stack ends)", () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
  const out = tail({ exitCode: 1, stdout: '', stderr: lines.join('\n') });
  assert.deepEqual(out.split('\n'), [...lines.slice(0, 8), '…', ...lines.slice(-10)]);
  assert.equal(tail({ exitCode: 1, stdout: 'b', stderr: 'a' }), 'a\nb');
});
