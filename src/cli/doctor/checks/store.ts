import { existsSync } from 'node:fs';
import { last24hText } from '../../lib/messages-text.js';
import { openStore } from '../../../store/index.js';
import { MysqlUnreachableError, shownDatabaseUrl } from '../../../store/sql/mysql-unreachable.js';
import { openSqlite, SqliteDriverError } from '../../../store/sqlite/driver.js';
import { type DoctorCheck, fail, pass } from '../types.js';

/** The store opens and answers a query (and its schema is current). */
export const storeCheck: DoctorCheck = {
  id: 'store',
  title: 'store reachable',
  async run(ctx) {
    const url = ctx.config.store?.databaseUrl;
    if (!url && !existsSync(ctx.paths.database)) {
      // No file yet: still prove the driver loads (its native part may be missing after the install).
      try {
        openSqlite(':memory:').close();
      } catch (err) {
        if (err instanceof SqliteDriverError) return fail(this.title, err.problem, err.fix);
        throw err;
      }
      return pass(this.title, `SQLite ${ctx.paths.database} is created at the first start`);
    }
    const where = url ? shownDatabaseUrl(url) : ctx.paths.database;
    try {
      const store = await openStore({ dataDir: ctx.config.dataDir, databaseUrl: url });
      try {
        const waiting = Object.values(await store.countWaiting()).reduce((a, b) => a + b, 0);
        const day = await store.countSince(Date.now() - 24 * 3600_000);
        return pass(this.title, `${store.kind} ${where}: ${waiting} waiting; ${last24hText(day)}`);
      } finally {
        await store.close();
      }
    } catch (err) {
      if (err instanceof SqliteDriverError || err instanceof MysqlUnreachableError)
        return fail(this.title, err.problem, err.fix);
      return fail(
        this.title,
        `${where}: ${(err as Error).message}`,
        url
          ? 'Check that the database server runs and WXCOZE_DATABASE_URL (user, password, host, database) is right; `wxcoze migrate` shows the error alone.'
          : `Check the file's owner and permissions (\`ls -l ${ctx.paths.database}\`) and free disk space; restore it from a backup if it is corrupt.`,
      );
    }
  },
};
