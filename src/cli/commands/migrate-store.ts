import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { copySqliteToMysql } from '../../store/copy-store.js';
import { describeMysqlUrl } from '../../store/sql/mysql-db.js';
import { nextCommand } from '../lib/next-command.js';
import { runningServer } from '../lib/runstate.js';

/** The line that creates the target database the way wxcoze's tables expect it (utf8mb4, binary collation). */
export function createDatabaseHint(mysqlUrl: string): string {
  const u = new URL(mysqlUrl);
  const db = decodeURIComponent(u.pathname.slice(1));
  const user = decodeURIComponent(u.username) || 'wxcoze';
  return (
    `CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n` +
    `    (as the database's administrator, e.g. \`sudo mysql\`; then: GRANT ALL ON \`${db}\`.* TO '${user}'@'${u.hostname}';)`
  );
}

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
      // A server still answering would keep writing the source while it is copied: rows would be lost.
      const running = runningServer(dataDir);
      if (running) {
        console.error(
          `✗ wxcoze is running on ${dataDir} (pid ${running.pid}): copying now would miss what it writes meanwhile.\n  → Stop it first (\`${nextCommand('stop')}\`), run this command again, then set WXCOZE_DATABASE_URL and start it.`,
        );
        process.exitCode = 1;
        return;
      }
      const file = join(dataDir, 'wxcoze.db');
      const target = describeMysqlUrl(opts.to);
      console.log(`Copying ${file} → ${target}`);
      let copied = 0;
      try {
        await copySqliteToMysql(file, opts.to, (r) => {
          copied += r.inserted;
          console.log(`  ✓ ${r.table.padEnd(14)} ${r.read} rows read, ${r.inserted} new`);
        });
        console.log(`Done. Set WXCOZE_DATABASE_URL=${target} (with its password) and start wxcoze again.`);
      } catch (err) {
        const e = err as Error & { code?: string };
        const kept =
          copied > 0
            ? `${copied} row${copied === 1 ? '' : 's'} already copied ${copied === 1 ? 'is' : 'are'} kept; running the same command again copies the rest.`
            : 'Nothing was copied.';
        if (e.code === 'ER_BAD_DB_ERROR') {
          console.error(
            `✗ the database ${target} does not exist (${e.message}).\n  → Create it, then run the same command again:\n    ${createDatabaseHint(opts.to)}\n  ${kept}`,
          );
        } else {
          console.error(
            `✗ copy failed: ${e.message}\n  ${kept} Fix the cause and run the same command again.`,
          );
        }
        process.exitCode = 1;
      }
    });
}
