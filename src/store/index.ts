import { join } from 'node:path';
import type { Store } from './types.js';

export type { Store } from './types.js';

/** Opens the configured store and brings its schema up to date: MySQL when a URL is given, else the embedded SQLite file. */
export async function openStore(opts: { dataDir: string; databaseUrl?: string }): Promise<Store> {
  // Each engine's driver is loaded only when it is used (mysql2 alone is ~15 MB of memory).
  const store: Store = opts.databaseUrl
    ? new (await import('./mysql/mysql-store.js')).MysqlStore(opts.databaseUrl)
    : new (await import('./sqlite/sqlite-store.js')).SqliteStore(join(opts.dataDir, 'wxcoze.db'));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
