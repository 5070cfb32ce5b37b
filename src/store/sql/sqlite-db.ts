import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Compilable, CompiledQuery } from 'kysely';
import { openSqlite } from '../sqlite/driver.js';
import { compiled, queryBuilder, type SqlDb } from './db.js';

/** better-sqlite3 accepts numbers, strings, bigints, buffers and null; booleans become 0/1. */
const param = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/**
 * The embedded engine: one SQLite file in WAL mode. better-sqlite3 is synchronous, so a single
 * statement is one atomic step for this process. A transaction spans awaits, so while one is
 * open every other caller waits for it (`gate`): nothing runs inside someone else's transaction.
 * BEGIN IMMEDIATE makes it safe against a second process on the same file as well.
 */
export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  readonly qb = queryBuilder('sqlite');
  readonly raw: Database.Database;
  private readonly cache: Map<string, Database.Statement>;
  private gate: Promise<void> | null = null;

  constructor(file: string);
  constructor(raw: Database.Database, cache: Map<string, Database.Statement>, inTx: true);
  constructor(
    fileOrRaw: string | Database.Database,
    cache?: Map<string, Database.Statement>,
    private readonly inTx = false,
  ) {
    if (typeof fileOrRaw === 'string') {
      if (fileOrRaw !== ':memory:') mkdirSync(dirname(fileOrRaw), { recursive: true, mode: 0o700 });
      this.raw = openSqlite(fileOrRaw);
      this.raw.pragma('journal_mode = WAL');
      // NORMAL in WAL survives a process crash (kill -9); on power loss the last commit may go, and with
      // it the cursor, so the page is simply pulled again: nothing accepted is lost.
      this.raw.pragma('synchronous = NORMAL');
      this.raw.pragma('busy_timeout = 5000');
      this.raw.pragma('foreign_keys = ON');
      // Deleted and overwritten content is zeroed in the file, not left in free space: erased
      // customer text (retention, `customers forget`) leaves no trace once the WAL is checkpointed.
      this.raw.pragma('secure_delete = ON');
    } else this.raw = fileOrRaw;
    this.cache = cache ?? new Map<string, Database.Statement>();
  }

  /** A prepared statement, prepared once (preparing per call showed up in profiles). */
  private stmt(q: CompiledQuery): [Database.Statement, unknown[]] {
    let st = this.cache.get(q.sql);
    if (!st) {
      st = this.raw.prepare(q.sql);
      if (this.cache.size > 500) this.cache.clear(); // page inserts vary in row count
      this.cache.set(q.sql, st);
    }
    return [st, q.parameters.map(param)];
  }

  async rows<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R[]> {
    // The wait and the statement must be in one synchronous run: nothing may start in between.
    if (!this.inTx) while (this.gate) await this.gate;
    const [st, params] = this.stmt(compiled(q));
    return st.all(...params) as R[];
  }

  async first<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R | undefined> {
    if (!this.inTx) while (this.gate) await this.gate;
    const [st, params] = this.stmt(compiled(q));
    return st.get(...params) as R | undefined;
  }

  async run(q: Compilable<unknown> | CompiledQuery): Promise<number> {
    if (!this.inTx) while (this.gate) await this.gate;
    const [st, params] = this.stmt(compiled(q));
    return st.run(...params).changes;
  }

  /** Runs SQL text as it is (migrations written in SQLite's dialect). */
  exec(sqlText: string): void {
    this.raw.exec(sqlText);
  }

  async tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this);
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => {
      open = resolve;
    });
    try {
      this.raw.exec('BEGIN IMMEDIATE');
      try {
        const v = await fn(new SqliteDb(this.raw, this.cache, true));
        this.raw.exec('COMMIT');
        return v;
      } catch (err) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.gate = null;
      open();
    }
  }

  /**
   * Statistics for SQLite's query planner (sqlite_stat1). Without them it guesses, and at 10,000
   * customers it guessed the console's list into 0.5–1 s (a per-customer check walked every failed
   * message instead of the customer's own; bench/RESULTS.md, Console). `PRAGMA optimize` analyses
   * only tables that grew or were never analysed, each bounded by `analysis_limit` rows per index
   * (tens of ms at 100,000 messages), as SQLite advises for long-lived connections: at open
   * (`all`: every table), then periodically. Sampled statistics can still rate a broad condition
   * narrow (at a million rows, `state = ?` as ~400 rows): reads that must stay bounded do not lean
   * on them (`unindexed`, db.ts; test/unit/bounded-reads.test.ts).
   */
  optimize(all: boolean): void {
    this.raw.pragma('analysis_limit = 400');
    this.raw.pragma(all ? 'optimize = 0x10002' : 'optimize');
  }

  /**
   * Copies the WAL into the database file and truncates it to 0 bytes, so no frame holding an old
   * page version stays. False when a reader still holds an older snapshot after the busy timeout.
   */
  async checkpointTruncate(): Promise<boolean> {
    while (this.gate) await this.gate;
    const r = this.raw.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r[0]?.busy === 0;
  }

  close(): void {
    if (this.raw.open) this.raw.close();
  }
}
