/**
 * The console's own store concerns, one interface per concern (docs/console-design.md, "Store
 * access"), each exposed on `Store` as a readonly property and implemented once for both engines
 * in src/store/sql/console-*.ts.
 */

// ── stats (charts): src/store/sql/console-stats.ts ──

/** One time bucket of the charts: what came in, how it ended, how long answers took. */
export interface StatsBucket {
  /** Start of the bucket (ms). */
  at: number;
  /** Customer messages (origin 3, not events) recorded in the bucket. */
  in: number;
  /** Of those: answered (state done), skipped, failed; the rest are pending or cancelled. */
  answered: number;
  skipped: number;
  failed: number;
  /** Of those: handed to a human (the note starts with "handoff"). */
  handoffs: number;
  /** Answer latency (ms) of the answered ones, from the customer's send_time to the answer's finish; null without any. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface StatsSeries {
  from: number;
  to: number;
  bucketMs: number;
  buckets: StatsBucket[];
  /** The same figures over the whole range. */
  total: Omit<StatsBucket, 'at'>;
}

export interface ConsoleStatsStore {
  /**
   * Counts and latency percentiles per bucket of `bucketMs` in [from, to), by when a message was
   * recorded (created_at); `openKfId` narrows to one account.
   */
  series(q: { from: number; to: number; bucketMs: number; openKfId?: string }): Promise<StatsSeries>;
}

// ── settings (what an owner changes in the console): src/store/sql/console-settings.ts ──

/** '*' = the defaults of every account; else an open_kfid. */
export type SettingScope = string;
export const DEFAULT_SCOPE = '*';

export interface StoredSetting {
  scope: SettingScope;
  key: string;
  /** The validated value; null = follow the config file again. */
  value: unknown;
  updatedAt: number;
  updatedBy: string | null;
}

export interface ConsoleSettingsStore {
  list(): Promise<StoredSetting[]>;
  /** Grows with every save (the newest updated_at): a cheap "did anything change" for every instance. */
  version(): Promise<number>;
  /** Saves the changes in one transaction; returns the new version. */
  save(
    changes: { scope: SettingScope; key: string; value: unknown }[],
    by: string | null,
    now: number,
  ): Promise<number>;
}
