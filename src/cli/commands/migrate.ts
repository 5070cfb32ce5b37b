import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { describeMysqlUrl } from '../../store/sql/mysql-db.js';
import { openStore } from '../../store/index.js';
import { nextCommand } from '../lib/next-command.js';

/** `wxcoze migrate`: brings the configured store's schema up to date (start does this too). */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create or update the database schema of the configured store (start does this too)')
    .action(async () => {
      const { config } = loadConfig();
      const where = config.store.databaseUrl
        ? describeMysqlUrl(config.store.databaseUrl)
        : `${config.dataDir}/wxcoze.db`;
      try {
        const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.store.databaseUrl });
        await store.close();
        console.log(`✓ schema up to date (${where})`);
      } catch (err) {
        console.error(
          `✗ migration of ${where} failed: ${(err as Error).message}\n  The data was left as it was. Check that the database is reachable and the user may create tables (\`${nextCommand('doctor')}\`).`,
        );
        process.exitCode = 1;
      }
    });
}
