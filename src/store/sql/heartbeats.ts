import type { InstanceRun } from '../types.js';
import { prepared, type SqlDb } from './db.js';

/** A row is kept this long after its last beat: longer than any lease (WXCOZE_LEASE_MS ≤ 1 h) it could hold. */
const KEEP_MS = 24 * 3600_000;

const beatQuery = prepared((qb, owner: string, now: number) =>
  qb.updateTable('heartbeats').set({ beat_at: now }).where('owner', '=', owner).where('gone', '=', 0),
);

/**
 * Which processes are alive, for lease takeover (see Inbox.claim): one row per running process,
 * keyed by its lease owner, with the instance id that survives its restarts. A lease whose owner's
 * row is `gone` or has not beaten for the takeover time may be claimed by anyone.
 */
export class Heartbeats {
  constructor(private readonly db: SqlDb) {}

  /** The runs under this instance id that have not said they are gone. */
  async runs(instanceId: string): Promise<InstanceRun[]> {
    const rows = await this.db.rows(
      this.db.qb
        .selectFrom('heartbeats')
        .selectAll()
        .where('instance_id', '=', instanceId)
        .where('gone', '=', 0),
    );
    return rows.map((r) => ({
      owner: r.owner,
      instanceId: r.instance_id,
      host: r.host,
      pid: Number(r.pid),
      startedAt: Number(r.started_at),
      beatAt: Number(r.beat_at),
    }));
  }

  /**
   * Registers this run and declares every earlier run of the same instance id gone, so their
   * leases (work this instance left unfinished when it died) are claimable at once. Rows whose
   * last beat is a day old are dropped. One transaction.
   */
  async begin(run: InstanceRun): Promise<void> {
    await this.db.tx(async (db) => {
      await db.run(
        db.qb
          .updateTable('heartbeats')
          .set({ gone: 1 })
          .where('instance_id', '=', run.instanceId)
          .where('owner', '<>', run.owner),
      );
      await db.run(db.qb.deleteFrom('heartbeats').where('beat_at', '<', run.beatAt - KEEP_MS));
      await db.run(
        db.qb.insertInto('heartbeats').values({
          owner: run.owner,
          instance_id: run.instanceId,
          host: run.host,
          pid: run.pid,
          started_at: run.startedAt,
          beat_at: run.beatAt,
          gone: 0,
        }),
      );
    });
  }

  /** One UPDATE. False when the row is gone (a restart under the same id replaced this run, or it was dropped). */
  async beat(owner: string, now: number): Promise<boolean> {
    return (await this.db.run(beatQuery(this.db.qb, owner, now))) === 1;
  }

  /** On a graceful stop: this run's leases are free at once (those not already given back). */
  async end(owner: string): Promise<void> {
    await this.db.run(this.db.qb.updateTable('heartbeats').set({ gone: 1 }).where('owner', '=', owner));
  }
}
