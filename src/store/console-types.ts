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
