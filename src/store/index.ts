import { join } from 'node:path';
import { MysqlUnreachableError } from './sql/mysql-unreachable.js';
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
  const url = opts.databaseUrl;
  // The driver's "connect ECONNREFUSED" says what failed, not what to do: told as a problem and its fix.
  const unreachable = (err: unknown) =>
    url && MysqlUnreachableError.isConnectionError(err) ? new MysqlUnreachableError(url, err) : err;
  let store;
  try {
    store = url ? await SqlStore.mysql(url) : SqlStore.sqlite(join(opts.dataDir, 'wxcoze.db'));
  } catch (err) {
    throw unreachable(err);
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw unreachable(err);
  }
  if (opts.plannerStats) store.keepPlannerStats(opts.plannerStats === 'hourly');
  return store;
}
