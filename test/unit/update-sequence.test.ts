/**
 * `wxcoze update`'s order and its way back (src/cli/update/run-update.ts), with every effect
 * scripted: what runs in which order, what a failure at each stage undoes, and what the user reads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DataBackup } from '../../src/cli/update/data-backup.js';
import type { Ready } from '../../src/cli/update/readiness.js';
import { runUpdate, type UpdatePlan, type UpdateSteps } from '../../src/cli/update/run-update.js';
import type { RunMode } from '../../src/cli/update/service.js';
import { StageError } from '../../src/cli/update/types.js';

const KEPT = '/data/backups/update-1/wxcoze-0.1.0.tgz';
const NEW = '/tmp/wxcoze-0.2.0.tgz';

interface Script {
  mode?: RunMode;
  store?: 'sqlite' | 'mysql';
  target?: string;
  /** Steps that fail, by name; `install:<spec>` fails only for that spec, `ready:<version>` likewise. */
  fail?: string[];
  /** Steps that fail the first time only. */
  failOnce?: string[];
  /** A check that refuses. */
  refuse?: string;
}

function scripted(s: Script = {}) {
  const calls: string[] = [];
  const failedOnce = new Set<string>();
  const fails = (name: string) => {
    if (s.fail?.includes(name)) return true;
    if (!s.failOnce?.includes(name) || failedOnce.has(name)) return false;
    failedOnce.add(name);
    return true;
  };
  const step = async (name: string) => {
    calls.push(name);
    if (fails(name) || (name.includes(':') && fails(name.split(':')[0]!)))
      throw new StageError(`${name} broke`, 'the details');
  };
  const backup: DataBackup =
    s.store === 'mysql'
      ? { dir: '/data/backups/update-1', mysqlDump: 'mysqldump … > /data/backups/update-1/wxcoze.sql' }
      : {
          dir: '/data/backups/update-1',
          database: '/data/backups/update-1/wxcoze.db',
          config: '/data/backups/update-1/config.json',
        };
  const mode: RunMode = s.mode ?? { kind: 'daemon', pid: 41, env: {}, cwd: '/srv' };
  const plan: UpdatePlan = {
    current: '0.1.0',
    target: { spec: NEW, version: s.target ?? '0.2.0', from: `the tarball ${NEW}` },
    where: 'globally in /usr/local',
    mode,
    modeText: 'runs as a daemon (pid 41)',
    store: s.store ?? 'sqlite',
    installCommand: (spec) => `npm install --global --prefix /usr/local ${spec}`,
  };
  const steps: UpdateSteps = {
    async check() {
      calls.push('check');
      if (s.refuse) throw new StageError(s.refuse, '→ do this instead');
      return plan;
    },
    keepPackage: async () => (await step('keepPackage'), KEPT),
    stop: () => step('stop'),
    backupData: async () => (await step('backupData'), backup),
    install: (spec) => step(`install:${spec}`),
    migrate: () => step('migrate'),
    start: () => step('start'),
    async ready(version): Promise<Ready> {
      calls.push(`ready:${version}`);
      return fails(`ready:${version}`)
        ? { ok: false, why: `wxcoze ${version} (pid 77) answered /readyz with HTTP 503 within 60 s` }
        : { ok: true, pid: 77, url: 'http://127.0.0.1:8000', path: '/readyz' };
    },
    status: async () => (calls.push('status'), 'status: running'),
    restoreData: (b) => step(`restoreData:${b.dir}`),
  };
  const lines: string[] = [];
  const out = {
    stage: (n: number, t: string) => lines.push(`[${n}] ${t}`),
    ok: (l: string) => lines.push(`✓ ${l}`),
    fail: (l: string) => lines.push(`✗ ${l}`),
    info: (l: string) => lines.push(l),
  };
  const run = () => runUpdate(steps, out, (c) => `wxcoze ${c}`);
  return { calls, lines, text: () => lines.join('\n'), run };
}

test('an update that comes up: check, keep the old package, stop, copy the data, install, migrate, start, ready, status — in that order', async () => {
  const u = scripted();
  const r = await u.run();
  assert.equal(r.exitCode, 0, u.text());
  assert.deepEqual(u.calls, [
    'check',
    'keepPackage',
    'stop',
    'backupData',
    `install:${NEW}`,
    'migrate',
    'start',
    'ready:0.2.0',
    'status',
  ]);
  const stages = u.lines.filter((l) => l.startsWith('['));
  assert.deepEqual(stages, [
    '[1] check',
    '[2] backup',
    '[3] install',
    '[4] migrate',
    '[5] restart',
    '[6] ready',
  ]);
  assert.match(u.text(), /wxcoze 0\.1\.0 kept as \/data\/backups\/update-1\/wxcoze-0\.1\.0\.tgz/);
  assert.match(u.text(), /database copied to \/data\/backups\/update-1\/wxcoze\.db/);
  assert.match(u.text(), /wxcoze 0\.2\.0 answers \/readyz at http:\/\/127\.0\.0\.1:8000/);
  assert.match(u.text(), /Updated 0\.1\.0 → 0\.2\.0/);
});

test('an older version is installed like any other, with a word that it is a downgrade', async () => {
  const u = scripted({ target: '0.0.9' });
  assert.equal((await u.run()).exitCode, 0, u.text());
  assert.ok(u.calls.includes(`install:${NEW}`));
  assert.match(u.text(), /0\.0\.9 is older than 0\.1\.0: a downgrade\./);
  const newer = scripted();
  await newer.run();
  assert.doesNotMatch(newer.text(), /downgrade/);
});

test('the version already installed: nothing is stopped or installed', async () => {
  const u = scripted({ target: '0.1.0' });
  assert.equal((await u.run()).exitCode, 0);
  assert.deepEqual(u.calls, ['check']);
  assert.match(u.text(), /already at 0\.1\.0: nothing to do/);
});

test('a refusal at check (a git checkout, a server in a terminal) changes nothing and says what to do', async () => {
  const u = scripted({ refuse: 'cannot update: this wxcoze runs from a git checkout' });
  const r = await u.run();
  assert.equal(r.exitCode, 1);
  assert.deepEqual(u.calls, ['check']);
  assert.match(u.text(), /git checkout\n→ do this instead\nNothing was changed\./);
});

test('a server that cannot be stopped: nothing installed, nothing rolled back, it still runs', async () => {
  const u = scripted({ fail: ['stop'] });
  const r = await u.run();
  assert.equal(r.exitCode, 1);
  assert.deepEqual(u.calls, ['check', 'keepPackage', 'stop']);
  assert.match(
    u.text(),
    /could not stop wxcoze: stop broke\nthe details\nNothing was changed; it still runs\./,
  );
});

test('a data copy that fails: nothing installed, the same version starts again', async () => {
  const u = scripted({ fail: ['backupData'] });
  const r = await u.run();
  assert.equal(r.exitCode, 1);
  assert.deepEqual(u.calls, ['check', 'keepPackage', 'stop', 'backupData', 'start', 'ready:0.1.0']);
  assert.match(u.text(), /Nothing was installed; wxcoze 0\.1\.0 runs again/);
});

test('a new version that never gets ready is rolled back: stopped, the kept tarball installed, the data put back, the old one started and checked', async () => {
  const u = scripted({ fail: ['ready:0.2.0'] });
  const r = await u.run();
  assert.deepEqual(r, { exitCode: 1, failedAt: 'ready', rolledBack: true });
  assert.deepEqual(u.calls.slice(8), [
    'stop',
    `install:${KEPT}`,
    'restoreData:/data/backups/update-1',
    'start',
    'ready:0.1.0',
  ]);
  const text = u.text();
  assert.match(text, /ready failed: wxcoze 0\.2\.0 \(pid 77\) answered \/readyz with HTTP 503/);
  assert.match(text, /wxcoze 0\.1\.0 installed again from \/data\/backups\/update-1\/wxcoze-0\.1\.0\.tgz/);
  assert.match(
    text,
    /The update to 0\.2\.0 failed at "ready" and was rolled back: wxcoze 0\.1\.0 is running again, with its data as it was before the update\./,
  );
  assert.match(text, /`wxcoze logs` shows the server's log; `wxcoze doctor` checks the setup\./);
});

test('a failed install, migration or start is rolled back the same way', async () => {
  for (const [fail, at] of [
    [`install:${NEW}`, 'install'],
    ['migrate', 'migrate'],
    ['start', 'restart'],
  ] as const) {
    // Each fails once: the new version's install, migration or start; the rollback's own succeed.
    const u = scripted({ failOnce: [fail] });
    const r = await u.run();
    assert.deepEqual(r, { exitCode: 1, failedAt: at, rolledBack: true }, `${fail}: ${u.text()}`);
    const back = u.calls.indexOf('stop', u.calls.indexOf('stop') + 1);
    assert.deepEqual(
      u.calls.slice(back),
      ['stop', `install:${KEPT}`, 'restoreData:/data/backups/update-1', 'start', 'ready:0.1.0'],
      `${fail}: ${u.calls.join(' ')}`,
    );
    assert.match(u.text(), new RegExp(`${at} failed: .* broke\nthe details`), fail);
  }
});

test('a server that was not running: installed and migrated, not started; a failed migration puts the old version back without starting it', async () => {
  const ok = scripted({ mode: { kind: 'stopped' } });
  assert.equal((await ok.run()).exitCode, 0, ok.text());
  assert.deepEqual(ok.calls, ['check', 'keepPackage', 'stop', 'backupData', `install:${NEW}`, 'migrate']);
  assert.match(ok.text(), /wxcoze was not running: start it with `wxcoze start --daemon`/);

  const bad = scripted({ mode: { kind: 'stopped' }, fail: ['migrate'] });
  const r = await bad.run();
  assert.deepEqual(r, { exitCode: 1, failedAt: 'migrate', rolledBack: true });
  assert.deepEqual(bad.calls.slice(6), ['stop', `install:${KEPT}`, 'restoreData:/data/backups/update-1']);
  assert.match(bad.text(), /wxcoze 0\.1\.0 is installed again \(not started: it was not running\)/);
});

test('MySQL: the data is neither copied nor put back, and the user is told so with the dump line', async () => {
  const u = scripted({ store: 'mysql', fail: ['ready:0.2.0'] });
  const r = await u.run();
  assert.equal(r.rolledBack, true);
  assert.ok(!u.calls.some((c) => c.startsWith('restoreData')), u.calls.join(' '));
  assert.match(u.text(), /MySQL\/MariaDB: the database is not copied and not rolled back .*mysqldump/);
  assert.match(
    u.text(),
    /MySQL\/MariaDB data is not rolled back: the previous version reads the new schema\./,
  );
  assert.doesNotMatch(u.text(), /with its data as it was/);
});

test('a rollback that fails says so, and how to finish it by hand', async () => {
  const u = scripted({ fail: ['ready:0.2.0', 'ready:0.1.0'] });
  const r = await u.run();
  assert.deepEqual(r, { exitCode: 1, failedAt: 'ready', rolledBack: false });
  const text = u.text();
  assert.match(
    text,
    /the rollback did not finish: wxcoze 0\.1\.0 \(pid 77\) answered \/readyz with HTTP 503/,
  );
  assert.match(
    text,
    /By hand: install the kept version \(`npm install --global --prefix \/usr\/local \/data\/backups\/update-1\/wxcoze-0\.1\.0\.tgz`\), copy \/data\/backups\/update-1\/wxcoze\.db over the database/,
  );
  assert.match(text, /`wxcoze doctor`/);
  assert.doesNotMatch(text, /was rolled back/);
});
