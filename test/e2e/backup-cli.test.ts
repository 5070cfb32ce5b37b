/**
 * `wxcoze customers forget`, `restore` and `backup` as a user runs them on an SQLite data directory
 * (no server needed): forget without --yes changes nothing; with --yes the person's text is gone
 * from the file's bytes; restore refuses a file that is not a wxcoze database; the doctor's backup
 * check reads the age of the newest backup.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupCheck } from '../../src/cli/doctor/checks/backup.js';
import type { DoctorContext } from '../../src/cli/doctor/types.js';
import { dataPaths } from '../../src/cli/lib/paths.js';
import { loadConfig } from '../../src/config/load.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { baseEnv, cli, tempDir } from './helpers.js';

const KF = 'wkForgetCli';

async function seed(dataDir: string, text: string) {
  const s = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  await s.migrate();
  const now = Date.now();
  await s.resolveUser('wecom', 'wmForgetCli', now);
  for (const [msgid, user, t] of [
    ['m1', 'wmForgetCli', text],
    ['m2', 'wmKeep', 'keep me'],
  ] as const) {
    await s.commitPage(
      KF,
      `c-${msgid}`,
      [
        {
          msgid,
          openKfId: KF,
          externalUserId: user,
          origin: 3,
          msgtype: 'text',
          sendTime: Math.floor(now / 1000),
          payload: { msgtype: 'text', text: { content: t } },
          state: 'skipped',
        },
      ],
      now,
    );
  }
  await s.close();
}

const inFiles = (db: string, text: string) =>
  [db, `${db}-wal`].filter((f) => existsSync(f) && readFileSync(f).includes(Buffer.from(text)));

test('customers forget: without --yes nothing changes; with --yes the text leaves the file', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const text = `FORGET-CLI-${Date.now()}`;
  await seed(dataDir, text);
  const db = join(dataDir, 'wxcoze.db');
  const before = readFileSync(db);

  const look = await cli(['customers', 'forget', 'wmForgetCli'], env);
  assert.equal(look.exitCode, 0, look.out);
  assert.match(look.out, /Would erase \(nothing has changed yet\)/);
  assert.match(look.out, /messages \(theirs and the answers to them\): 1/);
  assert.match(look.out, /customers forget wmForgetCli --yes/);
  assert.match(look.out, /Coze's own copy/);
  assert.ok(readFileSync(db).equals(before), 'the database file is byte for byte the same');
  const s = SqlStore.sqlite(db);
  assert.ok(await s.get('m1'));
  await s.close();

  const unknown = await cli(['customers', 'forget', 'wmNobody'], env);
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.out, /Nobody known as "wmNobody"/);

  const yes = await cli(['customers', 'forget', 'wmForgetCli', '--yes'], env);
  assert.equal(yes.exitCode, 0, yes.out);
  assert.match(yes.out, /Erased/);
  assert.match(yes.out, /What wxcoze cannot erase/);
  assert.match(yes.out, /backups made before now/);
  assert.deepEqual(inFiles(db, text), []);
  assert.deepEqual(inFiles(db, 'wmForgetCli'), []);
  assert.notDeepEqual(inFiles(db, 'keep me'), [], 'the other customer stays');
});

test('backup, restore of a file that is not a wxcoze database, and the doctor backup check', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  await seed(dataDir, 'anything');

  const other = join(dataDir, 'other.db');
  writeFileSync(other, 'not a database at all, just text');
  const bad = await cli(['restore', other], env);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.out, /not a wxcoze database|cannot be opened as an SQLite database/);

  const { config } = loadConfig({ env: { WXCOZE_DATA_DIR: dataDir }, cwd: dataDir });
  const ctx = { config, paths: dataPaths(dataDir) } as unknown as DoctorContext;
  // A fresh install has no backup yet: fine until the first daily one is due (not a warning).
  const none = await backupCheck.run(ctx);
  assert.equal(none.ok && !none.warning, true, none.detail);
  assert.match(none.detail, /no backup yet: the first daily backup runs from 4:00/);
  // With the daily backup off, nothing will ever make one: a warning.
  const offCtx = { ...ctx, config: { ...config, maintenance: { ...config.maintenance, backupKeep: 0 } } };
  const never = await backupCheck.run(offCtx as DoctorContext);
  assert.equal(never.warning, true);
  assert.match(never.detail, /no backup yet \(the daily backup is off/);

  const made = await cli(['backup'], env);
  assert.equal(made.exitCode, 0, made.out);
  const file = /backup written: (\S+)/.exec(made.out)?.[1];
  assert.ok(file && file.startsWith(join(dataDir, 'backups', 'wxcoze-')), made.out);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const fresh = await backupCheck.run(ctx);
  assert.equal(fresh.ok && !fresh.warning, true, fresh.detail);
  assert.match(fresh.detail, /last \d+s ago/);

  // Three days later (the store's record aged too): a warning.
  const s = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  await s.db.run(s.db.qb.updateTable('maintenance').set({ last_run_at: Date.now() - 3 * 86_400_000 }));
  await s.close();
  const old = new Date(Date.now() - 3 * 86_400_000);
  utimesSync(file, old, old);
  const stale = await backupCheck.run(ctx);
  assert.equal(stale.warning, true);
  assert.match(stale.fix ?? '', /older than 2 days/);

  // A backup folder that cannot be written: a failure.
  const blocked = {
    ...ctx,
    config: { ...config, maintenance: { ...config.maintenance, backupDir: join(other, 'x') } },
  };
  const cannot = await backupCheck.run(blocked as DoctorContext);
  assert.equal(cannot.ok, false);
  assert.match(cannot.detail, /cannot be written/);
});
