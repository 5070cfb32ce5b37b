import { join } from 'node:path';
import type { Store } from './types.js';

export type { Store } from './types.js';

/** Opens the configured store and brings its schema up to date: MySQL when a URL is given, else the embedded SQLite file. */
export async function openStore(opts: {
  dataDir: string;
  databaseUrl?: string;
  /**
   * The server's connections keep SQLite's planner statistics (SqlStore.keepPlannerStats): 'open'
   * once now, 'hourly' now and every hour. Commands that open the store briefly leave them alone.
   */
  plannerStats?: 'open' | 'hourly';
}): Promise<Store> {
  // Each engine's driver is loaded only when it is used (mysql2 alone is ~15 MB of memory).
  const { SqlStore } = await import('./sql/sql-store.js');
  const store = opts.databaseUrl
    ? await SqlStore.mysql(opts.databaseUrl)
    : SqlStore.sqlite(join(opts.dataDir, 'wxcoze.db'));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  if (opts.plannerStats) store.keepPlannerStats(opts.plannerStats === 'hourly');
  return store;
}
