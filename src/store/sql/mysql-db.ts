import type { PoolConnection as CorePoolConnection } from 'mysql2';
import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { Compilable, CompiledQuery } from 'kysely';
import { compiled, queryBuilder, type SqlDb } from './db.js';

/** mysql://user:pass@host:port/db → a description without the password, for logs and errors. */
export function describeMysqlUrl(url: string): string {
  const u = new URL(url);
  return `mysql://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
}

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

const ER_LOCK_DEADLOCK = 1213;
const DEADLOCK_ATTEMPTS = 5;

/**
 * The shared engine for several instances: MySQL or MariaDB through a mysql2 pool. Every write
 * that must be atomic is one statement or one transaction on one pooled connection.
 */
export class MysqlDb implements SqlDb {
  readonly dialect = 'mysql' as const;
  readonly qb = queryBuilder('mysql');

  private constructor(
    readonly pool: Pool,
    private readonly query: Query,
    /** Set inside a transaction or `withConnection`: the connection the statements stay on. */
    private readonly conn?: PoolConnection | CorePoolConnection,
  ) {}

  /** mysql2 is loaded only here, when MySQL is used (it alone is ~15 MB of memory). */
  static async open(url: string, opts: { connectionLimit?: number } = {}): Promise<MysqlDb> {
    const { default: mysql } = await import('mysql2/promise');
    const pool = mysql.createPool({
      uri: url,
      connectionLimit: opts.connectionLimit ?? 20,
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: false,
      timezone: 'Z',
      connectTimeout: 5000,
    });
    // The driver's callback API: the promise wrapper captures a stack trace per query, which
    // showed up as ~4 % of the server's CPU under load.
    const query: Query = (sql, params) =>
      new Promise((resolve, reject) => {
        pool.pool.query(sql, params, (err: Error | null, rows: unknown) =>
          err ? reject(err) : resolve(rows),
        );
      });
    return new MysqlDb(pool, query);
  }

  /** Runs SQL text on the pool (or this transaction's connection). */
  sql<T>(text: string, params: unknown[] = []): Promise<T> {
    return this.query(text, params) as Promise<T>;
  }

  async rows<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R[]> {
    const c = compiled(q);
    return (await this.query(c.sql, c.parameters as unknown[])) as R[];
  }

  async first<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R | undefined> {
    return (await this.rows(q))[0];
  }

  async run(q: Compilable<unknown> | CompiledQuery): Promise<number> {
    const c = compiled(q);
    return ((await this.query(c.sql, c.parameters as unknown[])) as ResultSetHeader).affectedRows;
  }

  /**
   * InnoDB may pick a transaction as a deadlock victim (two links taking gap locks at once): it is
   * rolled back whole, so running it again is safe, as MySQL's message itself advises.
   */
  async tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    if (this.conn) return fn(this); // already inside one: the outermost retries the whole
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.txOnce(fn);
      } catch (err) {
        if ((err as { errno?: number }).errno !== ER_LOCK_DEADLOCK || attempt >= DEADLOCK_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * On the driver's callback API too (a new customer's user is a transaction per message): the
   * statements mysql2's beginTransaction/commit/rollback would send, on one pooled connection.
   */
  private async txOnce<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    const c = await new Promise<CorePoolConnection>((resolve, reject) => {
      this.pool.pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn)));
    });
    const query: Query = (sql, params) =>
      new Promise((resolve, reject) => {
        c.query(sql, params, (err: Error | null, rows: unknown) => (err ? reject(err) : resolve(rows)));
      });
    try {
      await query('START TRANSACTION', []);
      const v = await fn(new MysqlDb(this.pool, query, c));
      await query('COMMIT', []);
      return v;
    } catch (err) {
      await query('ROLLBACK', []).catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  /** One connection of the pool, for work that must stay on it (the migration lock). */
  async withConnection<T>(fn: (db: MysqlDb) => Promise<T>): Promise<T> {
    const c = await this.pool.getConnection();
    try {
      return await fn(new MysqlDb(this.pool, async (sql, params) => (await c.query(sql, params))[0], c));
    } finally {
      c.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
