import { openSqlite } from './sqlite/driver.js';
import { existsSync } from 'node:fs';
import { SqlStore } from './sql/sql-store.js';
import type { MysqlDb } from './sql/mysql-db.js';

/** Tables copied when a business moves from the embedded store to MySQL, parents first. */
export const COPIED_TABLES = [
  'users',
  'identities',
  'legacy_web_identities',
  'conversations',
  'accounts',
  'customers',
  'inbox',
  'sent_log',
  // The console's operators and audit log move too (operators keep their passwords); sessions and
  // login-failure counters do not: everyone logs in again on the new store.
  'operators',
  'audit_log',
  'console_settings',
  // Satisfaction ratings are the owner's data (migration 14).
  'surveys',
] as const;

/** Columns the database computes itself (generated): never inserted. */
const GENERATED_COLUMNS: Record<string, string[]> = { inbox: ['is_handoff'] };

const BATCH = 500;

export interface CopyReport {
  table: string;
  read: number;
  inserted: number;
}

/**
 * Copies users, channel identities, Coze conversations, cursors and message history from an
 * embedded SQLite file into a MySQL/MariaDB database (migrated first). Rows already there are
 * kept (INSERT IGNORE), so a copy that was interrupted can simply be run again.
 */
export async function copySqliteToMysql(
  sqliteFile: string,
  mysqlUrl: string,
  onProgress?: (r: CopyReport) => void,
): Promise<CopyReport[]> {
  if (!existsSync(sqliteFile))
    throw new Error(
      `no embedded store at ${sqliteFile}; point --data-dir (or WXCOZE_DATA_DIR) at the folder that holds wxcoze.db`,
    );
  // The source is brought to the same schema first, so every table and row format matches
  // (a file from an older wxcoze would otherwise bring rows the newer schema reads differently).
  const upgrade = SqlStore.sqlite(sqliteFile);
  try {
    await upgrade.migrate();
  } finally {
    await upgrade.close();
  }
  const src = openSqlite(sqliteFile, { readonly: true, fileMustExist: true });
  const dst = await SqlStore.mysql(mysqlUrl, { connectionLimit: 2 });
  const reports: CopyReport[] = [];
  try {
    await dst.migrate();
    for (const table of COPIED_TABLES) {
      const rows = src.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      let inserted = 0;
      for (let i = 0; i < rows.length; i += BATCH) {
        const batch = rows.slice(i, i + BATCH);
        const cols = Object.keys(batch[0]!).filter((c) => !GENERATED_COLUMNS[table]?.includes(c));
        const res = await (dst.db as MysqlDb).sql<{ affectedRows: number }>(
          `INSERT IGNORE INTO ${table} (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ?`,
          [batch.map((r) => cols.map((c) => r[c]))],
        );
        inserted += res.affectedRows;
      }
      const report = { table, read: rows.length, inserted };
      reports.push(report);
      onProgress?.(report);
    }
    return reports;
  } finally {
    src.close();
    await dst.close();
  }
}
