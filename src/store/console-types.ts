/**
 * What the operator console keeps in the store, one interface per concern (docs/console-design.md).
 * Each is implemented once over SqlDb in src/store/sql/console-*.ts and exposed on `Store` as a
 * readonly property, so the console's routes reach it through the store handle they are given.
 */

// ── access (operators, sessions, audit log, login throttling): src/store/sql/console-access.ts ──

export interface Operator {
  name: string;
  /** `scrypt$…` (src/console/auth/password.ts). */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface ConsoleSession {
  /** SHA-256 (hex) of the cookie's value. */
  idHash: string;
  operator: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** One line of the audit log. `openKfId`/`externalUserId`: the customer the action concerned, if any. */
export interface AuditEntry {
  id: number;
  at: number;
  operator: string;
  action: string;
  openKfId: string | null;
  externalUserId: string | null;
  detail: string | null;
}

export interface NewAuditEntry {
  at: number;
  operator: string;
  /** A short stable code: `login`, `login_failed`, `logout`, `takeover`, `reply`, `settings`, … */
  action: string;
  openKfId?: string | null;
  externalUserId?: string | null;
  /** Free text or JSON a human reads in the audit page (cut to 2,000 characters). */
  detail?: string | null;
}

export interface ConsoleAccessStore {
  countOperators(): Promise<number>;
  getOperator(name: string): Promise<Operator | undefined>;
  listOperators(): Promise<Operator[]>;
  /** Creates the operator or replaces its password; true when it was created. */
  setOperator(name: string, passwordHash: string, now: number): Promise<boolean>;
  /** Removes the operator and ends its sessions; false when there was none. */
  removeOperator(name: string): Promise<boolean>;

  createSession(s: ConsoleSession): Promise<void>;
  /** The session, if it exists (expired or not: the caller decides). */
  getSession(idHash: string): Promise<ConsoleSession | undefined>;
  touchSession(idHash: string, lastSeenAt: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Ends every session of an operator (its password changed); returns how many. */
  deleteSessionsOf(operator: string): Promise<number>;
  /** Drops sessions that ended (expired, or idle longer than `idleMs`) before `now`. */
  pruneSessions(now: number, idleMs: number): Promise<number>;

  audit(entry: NewAuditEntry): Promise<void>;
  /** Newest first; `before`: only entries with a smaller id (the next page). */
  listAudit(opts: { limit: number; before?: number; operator?: string }): Promise<AuditEntry[]>;

  /** Failures counted under `key` in the window that started at most `windowMs` ago (0 if none). */
  loginFailures(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }>;
  /** Counts one failure under `key` (a new window if the last one is over); returns the new count. */
  noteLoginFailure(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }>;
  clearLoginFailures(key: string): Promise<void>;
}

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
  /** Processes that beat since `since` (the heartbeats table), newest first: the instances seen. */
  instances(since: number): Promise<SeenInstance[]>;
  /** Per account: when its newest message was recorded (how long since the cursor last moved with messages). */
  lastMessageAt(openKfIds: string[]): Promise<Record<string, number>>;
}

export interface SeenInstance {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: number;
  beatAt: number;
  /** It stopped (or a restart under the same id replaced it). */
  gone: boolean;
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
