import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { copySqliteToMysql } from '../../store/copy-store.js';
import { describeMysqlUrl } from '../../store/mysql/mysql-store.js';

/**
 * `wxcoze migrate-store --to mysql://…`: moves a business from the embedded store to MySQL,
 * keeping its customers' identities, Coze conversations, cursors and history.
 */
export function registerMigrateStore(program: Command): void {
  program
    .command('migrate-store')
    .description('copy the embedded SQLite store (users, conversations, cursors, history) into MySQL/MariaDB')
    .requiredOption('--to <mysql-url>', 'target, e.g. mysql://wxcoze:secret@127.0.0.1:3306/wxcoze')
    .option('--data-dir <dir>', 'data directory holding wxcoze.db (default: WXCOZE_DATA_DIR or ~/.wxcoze)')
    .action(async (opts: { to: string; dataDir?: string }) => {
      if (!/^mysql:\/\/[^/]+\/[A-Za-z0-9_$-]+/.test(opts.to)) {
        console.error('✗ --to must be a mysql://user:password@host:port/database URL');
        process.exitCode = 2;
        return;
      }
      const dataDir = opts.dataDir ? resolve(opts.dataDir) : loadConfig().config.dataDir;
      const file = join(dataDir, 'wxcoze.db');
      console.log(`Copying ${file} → ${describeMysqlUrl(opts.to)}  (stop wxcoze first, so nothing changes meanwhile)`);
      try {
        await copySqliteToMysql(file, opts.to, (r) => console.log(`  ✓ ${r.table.padEnd(14)} ${r.read} rows read, ${r.inserted} new`));
        console.log(`Done. Set WXCOZE_DATABASE_URL=${describeMysqlUrl(opts.to)} (with its password) and start wxcoze again.`);
      } catch (err) {
        console.error(`✗ copy failed: ${(err as Error).message}\n  Rows already copied are kept; fix the cause and run the same command again.`);
        process.exitCode = 1;
      }
    });
}
