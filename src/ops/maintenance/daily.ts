/**
 * The daily jobs: the SQLite backup (kept WXCOZE_BACKUP_KEEP deep) and the retention erase
 * (WXCOZE_RETENTION_DAYS). Every instance looks every few minutes; from WXCOZE_BACKUP_HOUR (the
 * business's time, WXCOZE_UTC_OFFSET) the first look whose claim wins runs the day's job
 * (`Store.maintenance.claim`, one conditional UPDATE): one run a day across instances, and a day
 * missed while wxcoze was down is made up at the next look.
 */
import { join } from 'node:path';
import type { MaintenanceConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import type { MaintenanceJob } from '../../store/maintenance-types.js';
import type { Store } from '../../store/types.js';
import { backupFileName, backupSqlite, pruneBackups } from './sqlite-backup.js';

const LOOK_EVERY_MS = 5 * 60_000;
const FIRST_LOOK_MS = 30_000;
/** A claim lapses after this (an instance that died mid-job): another one runs it then. */
const HOLD_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

export interface DailyDeps {
  config: MaintenanceConfig;
  store: Store;
  logger: Logger;
  /** The SQLite file, or undefined on MySQL (no automatic backup there). */
  sqliteFile?: string;
  owner: string;
}

/** The business's day (YYYY-MM-DD) and hour at `now`. */
export function localDay(now: number, offsetMin: number): { day: string; hour: number } {
  const d = new Date(now + offsetMin * 60_000);
  return { day: d.toISOString().slice(0, 10), hour: d.getUTCHours() };
}

export class DailyMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly deps: DailyDeps) {}

  start(): void {
    const { config, sqliteFile, logger } = this.deps;
    if (!sqliteFile)
      logger.info(
        "automatic backups are for the SQLite store only: on MySQL/MariaDB use the database's own backups (`wxcoze backup` prints a mysqldump line)",
      );
    else if (config.backupKeep === 0) logger.warn('daily backup off (WXCOZE_BACKUP_KEEP=0)');
    const look = (ms: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runDue(Date.now()).finally(() => {
          this.running = undefined;
          if (!this.stopped) look(LOOK_EVERY_MS);
        });
      }, ms);
      this.timer.unref();
    };
    look(FIRST_LOOK_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Runs each job that is due at `now` and that this instance claims. Returns the jobs it ran. */
  async runDue(now: number): Promise<MaintenanceJob[]> {
    const { config, sqliteFile } = this.deps;
    const { day, hour } = localDay(now, config.utcOffsetMin);
    if (hour < config.backupHour) return [];
    const ran: MaintenanceJob[] = [];
    // The erase first: the day's backup then holds no content older than the retention.
    if (config.retentionDays > 0 && (await this.run('retention', day, now, () => this.retention(now))))
      ran.push('retention');
    if (sqliteFile && config.backupKeep > 0 && (await this.run('backup', day, now, () => this.backup(now))))
      ran.push('backup');
    return ran;
  }

  private async run(
    job: MaintenanceJob,
    day: string,
    now: number,
    work: () => Promise<string>,
  ): Promise<boolean> {
    const { store, owner, logger } = this.deps;
    try {
      if (!(await store.maintenance.claim(job, day, owner, now, HOLD_MS))) return false;
    } catch (err) {
      logger.warn(
        { job, err: { message: (err as Error).message } },
        'daily job: the store did not answer; trying at the next look',
      );
      return false;
    }
    try {
      const result = await work();
      await store.maintenance.complete(job, day, owner, result, Date.now());
      logger.info({ job, result }, `daily ${job} done`);
      return true;
    } catch (err) {
      await store.maintenance.release(job, owner, Date.now()).catch(() => {});
      logger.error(
        { job, err: { message: (err as Error).message } },
        `daily ${job} failed; it is tried again at the next look (\`wxcoze doctor\` shows the last backup)`,
      );
      return false;
    }
  }

  private async backup(now: number): Promise<string> {
    const { config, sqliteFile } = this.deps;
    const r = await backupSqlite(sqliteFile!, join(config.backupDir, backupFileName(now)), {
      offThread: true,
    });
    const pruned = pruneBackups(config.backupDir, config.backupKeep);
    return `${r.file} (${r.bytes} bytes)${pruned.length ? `; ${pruned.length} older deleted` : ''}`;
  }

  private async retention(now: number): Promise<string> {
    const { config, store, logger } = this.deps;
    const erased = await store.privacy.eraseBefore(now - config.retentionDays * DAY_MS);
    if (erased > 0 && !(await store.privacy.compact()))
      logger.warn(
        'retention: the database log could not be truncated now (a reader held it); it is at the next erase',
      );
    return `${erased} message(s) older than ${config.retentionDays} days erased`;
  }
}
