import type { MaintenanceJob, MaintenanceRun, MaintenanceStore } from '../maintenance-types.js';
import type { SqlDb } from './db.js';

/**
 * The daily jobs' rows (migration 13). Several instances look at the same moment; the conditional
 * UPDATE in `claim` lets exactly one of them run a job for a day, on both engines (SQLite's write
 * lock or InnoDB's row lock serialises the two UPDATEs; the second no longer matches).
 */
export class Maintenance implements MaintenanceStore {
  constructor(private readonly db: SqlDb) {}

  private ensure(job: MaintenanceJob, now: number) {
    return this.db.run(this.db.qb.insertInto('maintenance').orIgnore().values({ job, updated_at: now }));
  }

  async claim(
    job: MaintenanceJob,
    day: string,
    owner: string,
    now: number,
    holdMs: number,
  ): Promise<boolean> {
    await this.ensure(job, now);
    const n = await this.db.run(
      this.db.qb
        .updateTable('maintenance')
        .set({ owner, until: now + holdMs, updated_at: now })
        .where('job', '=', job)
        .where((eb) => eb.or([eb('last_day', 'is', null), eb('last_day', '<>', day)]))
        .where('until', '<=', now),
    );
    return n === 1;
  }

  async complete(
    job: MaintenanceJob,
    day: string,
    owner: string,
    result: string,
    now: number,
  ): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('maintenance')
        .set({ last_day: day, last_run_at: now, last_result: result, owner: null, until: 0, updated_at: now })
        .where('job', '=', job)
        .where('owner', '=', owner),
    );
  }

  async release(job: MaintenanceJob, owner: string, now: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('maintenance')
        .set({ owner: null, until: 0, updated_at: now })
        .where('job', '=', job)
        .where('owner', '=', owner),
    );
  }

  async record(job: MaintenanceJob, result: string, now: number): Promise<void> {
    await this.ensure(job, now);
    await this.db.run(
      this.db.qb
        .updateTable('maintenance')
        .set({ last_run_at: now, last_result: result, updated_at: now })
        .where('job', '=', job),
    );
  }

  async last(job: MaintenanceJob): Promise<MaintenanceRun | undefined> {
    const r = await this.db.first(
      this.db.qb
        .selectFrom('maintenance')
        .select(['job', 'last_day', 'last_run_at', 'last_result'])
        .where('job', '=', job),
    );
    return (
      r && {
        job: r.job,
        lastDay: r.last_day ?? null,
        lastRunAt: Number(r.last_run_at),
        lastResult: r.last_result ?? null,
      }
    );
  }
}
