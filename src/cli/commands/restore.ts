import type { Command } from 'commander';
import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { backupSqlite } from '../../ops/maintenance/sqlite-backup.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { SqlStore } from '../../store/sql/sql-store.js';
import { openSqlite } from '../../store/sqlite/driver.js';
import { nextCommand } from '../lib/next-command.js';
import { dataPaths } from '../lib/paths.js';
import { runningServer } from '../lib/runstate.js';
import { dim, OK } from '../lib/ui.js';

const STOP_HOW =
  '`wxcoze stop` (or `sudo systemctl stop wxcoze` when it runs as a service; `docker compose stop` in Docker)';

/**
 * `wxcoze restore <file>`: the SQLite database replaced by a backup, only while wxcoze is stopped.
 * The current file is kept as `wxcoze.db.before-restore-<time>`. The restore is recorded in the
 * restored file (`maintenance` row `restore`): a message answered between the backup and the
 * restore reads "not answered" there; when it is answered again, WeCom refuses the first part's
 * msgid as a duplicate and `sendReply` then sends nothing more (src/pipeline/send-reply.ts).
 */
export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description(
      'replace the SQLite database with a backup (wxcoze must be stopped; the current file is kept)',
    )
    .argument('<file>', 'a backup made by `wxcoze backup` or the daily backup')
    .action(async (fileArg: string) => {
      const { config } = loadConfig();
      if (config.store?.databaseUrl) {
        throw new Error(
          "the store is MySQL/MariaDB: restore its dump with the database's own tools after stopping every instance, e.g. `mysql -h … -u … -p <database> < dump.sql` (`wxcoze backup` prints the exact line).",
        );
      }
      const paths = dataPaths(config.dataDir);
      const running = runningServer(config.dataDir);
      if (running)
        throw new Error(
          `wxcoze is running (pid ${running.pid}): stop it first with ${STOP_HOW}, then run \`${nextCommand(`restore ${fileArg}`)}\` again.`,
        );
      if (existsSync(paths.database)) refuseWhileBeating(paths.database, config.pipeline.takeoverMs);
      const file = resolve(fileArg);
      const version = checkBackup(file);

      const now = Date.now();
      const stamp = new Date(now).toISOString().slice(0, 19).replace(/:/g, '-');
      const restoring = join(config.dataDir, '.wxcoze.db.restoring');
      removeDb(restoring);
      copyFileSync(file, restoring);
      chmodSync(restoring, 0o600);
      // Brought to this version's schema, and the restore recorded in it before it goes live.
      const store = SqlStore.sqlite(restoring);
      try {
        await store.migrate();
        await store.maintenance.record('restore', `from ${file}`, now);
      } finally {
        await store.close();
      }
      let safety: string | undefined;
      if (existsSync(paths.database)) {
        safety = join(config.dataDir, `wxcoze.db.before-restore-${stamp}Z`);
        // A copy through SQLite (its WAL included), then the old file and its WAL go: a WAL left
        // beside the restored file would be replayed into it.
        await backupSqlite(paths.database, safety, { offThread: false });
        removeDb(paths.database);
      }
      rmSync(`${restoring}-wal`, { force: true });
      rmSync(`${restoring}-shm`, { force: true });
      renameSync(restoring, paths.database);
      console.log(`${OK()} restored ${file} (schema version ${version}) into ${paths.database}`);
      if (safety) console.log(`  the database it replaced is kept as ${safety}`);
      console.log(
        dim(
          `  Start wxcoze again (\`${nextCommand('start')}\` or \`sudo systemctl start wxcoze\`): messages sent after the backup are pulled from WeCom again (it keeps 3 days) and answered;\n` +
            '  a message already answered before the restore is not answered twice (WeCom refuses the repeated message id).\n' +
            '  Settings, operators and console logins are as they were in the backup.',
        ),
      );
    });
}

/** The schema version of a wxcoze backup, or an error saying why `file` is not one. */
function checkBackup(file: string): number {
  if (!existsSync(file))
    throw new Error(
      `${file} does not exist (backups are in WXCOZE_BACKUP_DIR, by default <data dir>/backups).`,
    );
  let db;
  try {
    db = openSqlite(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} cannot be opened as an SQLite database: ${(err as Error).message}`);
  }
  try {
    let version: number | null;
    try {
      version = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null })
        .v;
      db.prepare('SELECT count(*) FROM inbox').get();
    } catch {
      throw new Error(`${file} is not a wxcoze database (it has no schema_migrations or inbox table).`);
    }
    if (!version) throw new Error(`${file} is not a wxcoze database (its schema_migrations table is empty).`);
    const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (version > known)
      throw new Error(
        `${file} was made by a newer wxcoze (schema version ${version}; this one knows ${known}): update wxcoze first.`,
      );
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw new Error(`${file} is damaged (SQLite's quick_check: ${String(check)}); pick another backup.`);
    return version;
  } finally {
    db.close();
  }
}

/** Another process still beating in the current file (a server whose pid file is elsewhere, e.g. in Docker). */
function refuseWhileBeating(database: string, takeoverMs: number): void {
  let db;
  try {
    db = openSqlite(database, { readonly: true, fileMustExist: true });
  } catch {
    return; // unreadable: the restore replaces it anyway
  }
  try {
    const r = db
      .prepare(
        'SELECT instance_id, pid, beat_at FROM heartbeats WHERE gone = 0 AND beat_at > ? ORDER BY beat_at DESC LIMIT 1',
      )
      .get(Date.now() - Math.max(takeoverMs, 30_000)) as
      { instance_id: string; pid: number; beat_at: number } | undefined;
    if (r)
      throw new Error(
        `a wxcoze server is still using ${database} (instance ${r.instance_id}, pid ${r.pid}, seen ${Math.round((Date.now() - r.beat_at) / 1000)} s ago): stop it first with ${STOP_HOW}. If it is not running any more (it crashed), try again in ${Math.ceil(Math.max(takeoverMs, 30_000) / 1000)} s.`,
      );
  } catch (err) {
    if ((err as Error).message.startsWith('a wxcoze server')) throw err;
    // no heartbeats table (a very old file): nothing to tell
  } finally {
    db.close();
  }
}

function removeDb(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
}
