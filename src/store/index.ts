import { join } from 'node:path';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export type { Store } from './types.js';

/** Opens the configured store and brings its schema up to date. */
export async function openStore(opts: { dataDir: string; databaseUrl?: string }): Promise<Store> {
  if (opts.databaseUrl) {
    throw new Error(`WXCOZE_DATABASE_URL is set (${new URL(opts.databaseUrl).protocol}) but only the embedded SQLite store is available in this version. Unset it to use ${join(opts.dataDir, 'wxcoze.db')}.`);
  }
  const store = new SqliteStore(join(opts.dataDir, 'wxcoze.db'));
  await store.migrate();
  return store;
}
