import { join } from 'node:path';
import { MysqlStore } from './mysql/mysql-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

/** Opens the configured store and brings its schema up to date: MySQL when a URL is given, else the embedded SQLite file. */
export async function openStore(opts: { dataDir: string; databaseUrl?: string }): Promise<Store> {
  const store = opts.databaseUrl ? new MysqlStore(opts.databaseUrl) : new SqliteStore(join(opts.dataDir, 'wxcoze.db'));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
