import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { backupFileName, backupSqlite } from '../../ops/maintenance/sqlite-backup.js';
import { openStore } from '../../store/index.js';
import { dataPaths } from '../lib/paths.js';
import { dim, OK, WARN } from '../lib/ui.js';

/**
 * `wxcoze backup [file]`: SQLite — a consistent copy taken by this process (`VACUUM INTO` on its
 * own connection: the running server's event loop is not involved), mode 0600. MySQL/MariaDB —
 * the exact mysqldump line is printed, not run: running it would need the password on a command
 * line or in a file wxcoze writes; the database's owner keeps it in ~/.my.cnf instead.
 */
export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description(
      'copy the database now (SQLite: safe while wxcoze runs; MySQL: prints the mysqldump command to run)',
    )
    .argument('[file]', 'where to write the copy (default: <WXCOZE_BACKUP_DIR>/wxcoze-<UTC time>.db)')
    .action(async (fileArg: string | undefined) => {
      const { config } = loadConfig();
      const now = Date.now();
      const url = config.store?.databaseUrl;
      if (url) {
        console.log(
          mysqldumpAdvice(url, fileArg ?? `wxcoze-${new Date(now).toISOString().slice(0, 10)}.sql`),
        );
        return;
      }
      const target = fileArg ? resolve(fileArg) : resolve(config.maintenance.backupDir, backupFileName(now));
      const r = await backupSqlite(dataPaths(config.dataDir).database, target, { offThread: false });
      console.log(`${OK()} backup written: ${r.file} (${formatBytes(r.bytes)}, readable by this user only)`);
      console.log(dim(`  restore it with: wxcoze restore ${r.file}`));
      try {
        const store = await openStore({ dataDir: config.dataDir });
        try {
          await store.maintenance.record('backup', r.file, Date.now());
        } finally {
          await store.close();
        }
      } catch (err) {
        console.log(
          `${WARN()} the backup is written, but its time could not be noted for \`wxcoze doctor\`: ${(err as Error).message}`,
        );
      }
    });
}

/** The mysqldump line for `url`, without its password, and where the password goes. */
export function mysqldumpAdvice(url: string, file: string): string {
  const u = new URL(url);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(u.username || 'root');
  const args = [
    'mysqldump',
    '--single-transaction',
    '--quick',
    '--no-tablespaces',
    '--default-character-set=utf8mb4',
    `-h ${u.hostname || '127.0.0.1'}`,
    `-P ${u.port || '3306'}`,
    `-u ${user}`,
    '-p',
    db,
  ];
  return [
    'The store is MySQL/MariaDB: wxcoze does not copy it itself (it would need your password on a command line).',
    'Run this (a consistent dump while wxcoze runs; -p asks for the password):',
    '',
    `  ${args.join(' ')} > ${file}`,
    '',
    `For a cron job, put the password in ~/.my.cnf (chmod 600) instead of typing it, and drop -p:`,
    '  [mysqldump]',
    `  user=${user}`,
    '  password=…',
    '',
    `Restore with: mysql -h ${u.hostname || '127.0.0.1'} -P ${u.port || '3306'} -u ${user} -p ${db} < ${file}  (stop every wxcoze instance first).`,
    "Your database host's own backups (snapshots, binary logs) are the better daily backup; wxcoze's automatic backup is for SQLite only.",
  ].join('\n');
}

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
