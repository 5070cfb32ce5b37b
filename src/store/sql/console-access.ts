import type {
  AuditEntry,
  ConsoleAccessStore,
  ConsoleSession,
  NewAuditEntry,
  Operator,
} from '../console-types.js';
import type { Selectable } from 'kysely';
import type { SqlDb } from './db.js';
import type { AuditLogTable, ConsoleSessionsTable, OperatorsTable } from './schema.js';

const DETAIL_MAX = 2000;

const toOperator = (r: Selectable<OperatorsTable>): Operator => ({
  name: r.name,
  passwordHash: r.password_hash,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const toSession = (r: Selectable<ConsoleSessionsTable>): ConsoleSession => ({
  idHash: r.id_hash,
  operator: r.operator,
  csrf: r.csrf,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  lastSeenAt: Number(r.last_seen_at),
});

const toAudit = (r: Selectable<AuditLogTable>): AuditEntry => ({
  id: Number(r.id),
  at: Number(r.at),
  operator: r.operator,
  action: r.action,
  openKfId: r.open_kfid ?? null,
  externalUserId: r.external_userid ?? null,
  detail: r.detail ?? null,
});

/** Failed logins kept in the audit log (the newest); operators' own actions are all kept. */
export const FAILED_LOGINS_KEPT = 10_000;

/**
 * The console's access data (migration 6): operators, sessions, the audit log and login-failure
 * counters. All of it in the store, so several instances behind a proxy share logins and limits.
 */
export class ConsoleAccess implements ConsoleAccessStore {
  constructor(
    private readonly db: SqlDb,
    private readonly failedLoginsKept = FAILED_LOGINS_KEPT,
  ) {}

  async countOperators(): Promise<number> {
    const r = await this.db.first(
      this.db.qb.selectFrom('operators').select((eb) => eb.fn.countAll<number>().as('n')),
    );
    return Number(r?.n ?? 0);
  }

  async getOperator(name: string): Promise<Operator | undefined> {
    const r = await this.db.first(this.db.qb.selectFrom('operators').selectAll().where('name', '=', name));
    return r ? toOperator(r) : undefined;
  }

  async listOperators(): Promise<Operator[]> {
    const rows = await this.db.rows(this.db.qb.selectFrom('operators').selectAll().orderBy('name'));
    return rows.map(toOperator);
  }

  async setOperator(name: string, passwordHash: string, now: number): Promise<boolean> {
    return this.db.tx(async (db) => {
      const changed = await db.run(
        db.qb
          .updateTable('operators')
          .set({ password_hash: passwordHash, updated_at: now })
          .where('name', '=', name),
      );
      if (changed > 0) return false;
      await db.run(
        db.qb
          .insertInto('operators')
          .values({ name, password_hash: passwordHash, created_at: now, updated_at: now }),
      );
      return true;
    });
  }

  async removeOperator(name: string): Promise<boolean> {
    return this.db.tx(async (db) => {
      await db.run(db.qb.deleteFrom('console_sessions').where('operator', '=', name));
      return (await db.run(db.qb.deleteFrom('operators').where('name', '=', name))) > 0;
    });
  }

  async createSession(s: ConsoleSession): Promise<void> {
    await this.db.run(
      this.db.qb.insertInto('console_sessions').values({
        id_hash: s.idHash,
        operator: s.operator,
        csrf: s.csrf,
        created_at: s.createdAt,
        expires_at: s.expiresAt,
        last_seen_at: s.lastSeenAt,
      }),
    );
  }

  async getSession(idHash: string): Promise<ConsoleSession | undefined> {
    const r = await this.db.first(
      this.db.qb.selectFrom('console_sessions').selectAll().where('id_hash', '=', idHash),
    );
    return r ? toSession(r) : undefined;
  }

  async touchSession(idHash: string, lastSeenAt: number): Promise<void> {
    await this.db.run(
      this.db.qb
        .updateTable('console_sessions')
        .set({ last_seen_at: lastSeenAt })
        .where('id_hash', '=', idHash),
    );
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.run(this.db.qb.deleteFrom('console_sessions').where('id_hash', '=', idHash));
  }

  deleteSessionsOf(operator: string): Promise<number> {
    return this.db.run(this.db.qb.deleteFrom('console_sessions').where('operator', '=', operator));
  }

  pruneSessions(now: number, idleMs: number): Promise<number> {
    return this.db.run(
      this.db.qb
        .deleteFrom('console_sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)])),
    );
  }

  async audit(e: NewAuditEntry): Promise<void> {
    await this.db.run(
      this.db.qb.insertInto('audit_log').values({
        at: e.at,
        operator: e.operator.slice(0, 64),
        action: e.action.slice(0, 64),
        open_kfid: e.openKfId ?? null,
        external_userid: e.externalUserId ?? null,
        detail: e.detail === undefined || e.detail === null ? null : e.detail.slice(0, DETAIL_MAX),
      }),
    );
    // Anyone can cause a failed login (throttled per address, but addresses are many): only the
    // newest `failedLoginsKept` of them stay, so the log cannot be grown without bound from outside.
    if (e.action === 'login_failed') {
      const edge = await this.db.first(
        this.db.qb
          .selectFrom('audit_log')
          .select('id')
          .where('action', '=', 'login_failed')
          .orderBy('id', 'desc')
          .limit(1)
          .offset(this.failedLoginsKept),
      );
      if (edge)
        await this.db.run(
          this.db.qb
            .deleteFrom('audit_log')
            .where('action', '=', 'login_failed')
            .where('id', '<=', Number(edge.id)),
        );
    }
  }

  async listAudit(opts: { limit: number; before?: number; operator?: string }): Promise<AuditEntry[]> {
    let q = this.db.qb.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(opts.limit);
    if (opts.before !== undefined) q = q.where('id', '<', opts.before);
    if (opts.operator !== undefined) q = q.where('operator', '=', opts.operator);
    return (await this.db.rows(q)).map(toAudit);
  }

  async loginFailures(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }> {
    const r = await this.db.first(this.db.qb.selectFrom('login_throttle').selectAll().where('key', '=', key));
    if (!r || Number(r.window_start) <= now - windowMs) return { failures: 0, windowStart: now };
    return { failures: Number(r.failures), windowStart: Number(r.window_start) };
  }

  async noteLoginFailure(
    key: string,
    now: number,
    windowMs: number,
  ): Promise<{ failures: number; windowStart: number }> {
    const cutoff = now - windowMs;
    return this.db.tx(async (db) => {
      // Counters of finished windows are dropped here, so the table holds only the current window's keys.
      await db.run(db.qb.deleteFrom('login_throttle').where('window_start', '<=', cutoff));
      await db.run(
        db.qb.insertInto('login_throttle').values({ key, failures: 0, window_start: now }).orIgnore(),
      );
      // One UPDATE, so instances counting at once never lose a failure. `failures` is assigned first:
      // MySQL evaluates assignments left to right, and both must see the old window_start.
      await db.run(
        db.qb
          .updateTable('login_throttle')
          .set((eb) => ({
            failures: eb
              .case()
              .when('window_start', '<=', cutoff)
              .then(1)
              .else(eb('failures', '+', 1))
              .end(),
            window_start: eb
              .case()
              .when('window_start', '<=', cutoff)
              .then(now)
              .else(eb.ref('window_start'))
              .end(),
          }))
          .where('key', '=', key),
      );
      const r = await db.first(db.qb.selectFrom('login_throttle').selectAll().where('key', '=', key));
      return { failures: Number(r?.failures ?? 1), windowStart: Number(r?.window_start ?? now) };
    });
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.db.run(this.db.qb.deleteFrom('login_throttle').where('key', '=', key));
  }
}
