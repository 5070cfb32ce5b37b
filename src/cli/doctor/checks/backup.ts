import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { lastBackup } from '../../../ops/maintenance/sqlite-backup.js';
import { openStore } from '../../../store/index.js';
import { formatDuration } from '../../lib/runstate.js';
import { type DoctorCheck, fail, pass, skip, warn } from '../types.js';

const STALE_MS = 2 * 86_400_000;

/**
 * When the last backup was taken (the store's record of the daily job and of `wxcoze backup`, or
 * the newest file in WXCOZE_BACKUP_DIR), warned when older than 2 days; the folder must take files.
 */
export const backupCheck: DoctorCheck = {
  id: 'backup',
  title: 'backups',
  async run(ctx) {
    const m = ctx.config.maintenance;
    if (ctx.config.store?.databaseUrl)
      return skip(
        this.title,
        "MySQL/MariaDB: use the database's own backups (`wxcoze backup` prints a mysqldump line)",
      );
    if (!existsSync(ctx.paths.database))
      return skip(this.title, 'no database yet (created at the first start)');
    const dir = m.backupDir;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      return fail(
        this.title,
        `${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        `Give the folder to the user running wxcoze (\`sudo chown -R $(id -un) ${dir}\`), or set WXCOZE_BACKUP_DIR to a folder it can write.`,
      );
    }
    let recorded: { at: number; what: string } | undefined;
    try {
      const store = await openStore({ dataDir: ctx.config.dataDir });
      try {
        const r = await store.maintenance.last('backup');
        if (r && r.lastRunAt > 0) recorded = { at: r.lastRunAt, what: r.lastResult ?? '' };
      } finally {
        await store.close();
      }
    } catch {
      /* the store check reports it */
    }
    const last = lastBackup(dir, recorded);
    const off = m.backupKeep === 0 ? ' (the daily backup is off: WXCOZE_BACKUP_KEEP=0)' : '';
    // A database younger than the 2 days a backup may be old: not yet a problem (a fresh install).
    const born = statSync(ctx.paths.database).birthtimeMs;
    if (!last && m.backupKeep > 0 && born > 0 && Date.now() - born < STALE_MS)
      return pass(
        this.title,
        `no backup yet: the first daily backup runs from ${m.backupHour}:00 (\`wxcoze backup\` takes one now)`,
      );
    if (!last)
      return warn(
        this.title,
        `no backup yet${off}`,
        m.backupKeep === 0
          ? 'Take one with `wxcoze backup`, or set WXCOZE_BACKUP_KEEP (e.g. 7) for a daily one.'
          : `The daily backup runs from ${m.backupHour}:00 while wxcoze runs; take one now with \`wxcoze backup\`.`,
      );
    const age = Date.now() - last.at;
    const detail = `last ${formatDuration(age)} ago: ${last.what}${off}`;
    if (age > STALE_MS)
      return warn(
        this.title,
        detail,
        'Backups are older than 2 days: is wxcoze running (`wxcoze status`)? `wxcoze logs | grep backup` shows why the daily backup failed; `wxcoze backup` takes one now.',
      );
    return pass(this.title, detail);
  },
};
