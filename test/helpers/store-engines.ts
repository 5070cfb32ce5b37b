import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { freshDatabase } from './mysql.js';
import { requireMysql } from './requirements.js';

export interface StoreEngine {
  name: 'sqlite' | 'mysql';
  /** A new, migrated, empty store of this engine. */
  open: () => Promise<SqlStore>;
  /** Why the engine's tests skip (MariaDB unreachable off CI), else undefined. */
  skip?: string;
}

/**
 * Both engines for a store suite: SQLite in a temporary folder, and MariaDB in a fresh database
 * each time (skipped loudly when it is unreachable off CI). Stores opened are closed and databases
 * dropped after the file's tests. Call once per test file, at the top level.
 */
export async function storeEngines(prefix = 'wxcoze-store-'): Promise<StoreEngine[]> {
  const dropped: (() => Promise<void>)[] = [];
  const opened: SqlStore[] = [];
  after(async () => {
    for (const s of opened) await s.close();
    for (const d of dropped) await d();
  });
  const needsMysql = await requireMysql();
  return [
    {
      name: 'sqlite',
      open: async () => {
        const s = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), prefix)), 'wxcoze.db'));
        await s.migrate();
        opened.push(s);
        return s;
      },
    },
    {
      name: 'mysql',
      ...(needsMysql ? { skip: needsMysql } : {}),
      open: async () => {
        const db = await freshDatabase();
        dropped.push(db.drop);
        const s = await SqlStore.mysql(db.url);
        await s.migrate();
        opened.push(s);
        return s;
      },
    },
  ];
}
