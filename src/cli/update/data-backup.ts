/**
 * The data `update` can put back: the SQLite database, copied consistently with SQLite's own online
 * backup (better-sqlite3's `.backup()`, which reads through the WAL like any reader), and the config
 * file. A MySQL/MariaDB database is not copied: it can be large, and it is shared with other
 * instances that keep writing to it. Migrations stay readable by the previous version (ARCHITECTURE.md,
 * "Migrations that an older version can read"), so rolling back the code alone is safe there; the
 * dump line is printed for whoever wants a copy anyway.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../store/sqlite/driver.js';
import { dataPaths } from '../lib/paths.js';

export interface DataBackup {
  dir: string;
  /** The SQLite copy (absent: MySQL, or no database yet). */
  database?: string;
  /** The copy of config.json (absent: there was none). */
  config?: string;
  /** Set on MySQL: the command that dumps it, for a copy of one's own. */
  mysqlDump?: string;
}

/** `mysqldump …` for the database of a mysql:// URL, password asked by mysqldump (never printed). */
export function mysqldumpLine(databaseUrl: string, file: string): string {
  const u = new URL(databaseUrl);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return `mysqldump --single-transaction -h ${u.hostname} -P ${u.port || '3306'} -u ${decodeURIComponent(u.username) || 'root'} -p ${db} > ${file}`;
}

export async function backupData(opts: {
  dataDir: string;
  databaseUrl?: string;
  dir: string;
}): Promise<DataBackup> {
  const paths = dataPaths(opts.dataDir);
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const out: DataBackup = { dir: opts.dir };
  if (opts.databaseUrl) {
    out.mysqlDump = mysqldumpLine(opts.databaseUrl, join(opts.dir, 'wxcoze.sql'));
  } else if (existsSync(paths.database)) {
    const dest = join(opts.dir, 'wxcoze.db');
    const db = openSqlite(paths.database, { fileMustExist: true });
    try {
      await db.backup(dest);
    } finally {
      db.close();
    }
    out.database = dest;
  }
  if (existsSync(paths.configFile)) {
    out.config = join(opts.dir, 'config.json');
    copyFileSync(paths.configFile, out.config);
  }
  return out;
}

/** Puts the copies back (wxcoze must be stopped): the database whole, its -wal and -shm removed. */
export function restoreData(b: DataBackup, dataDir: string): void {
  const paths = dataPaths(dataDir);
  if (b.database) {
    for (const f of [paths.database, `${paths.database}-wal`, `${paths.database}-shm`])
      rmSync(f, { force: true });
    copyFileSync(b.database, paths.database);
  }
  if (b.config) copyFileSync(b.config, paths.configFile);
}
