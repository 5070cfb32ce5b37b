import {
  DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type Compilable, type CompiledQuery,
} from 'kysely';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'mysql';

/**
 * One connection to either engine, as the store's query modules see it. Queries are written
 * once with Kysely (`db.qb`, a builder that never executes) and handed here compiled for the
 * engine; where the dialects truly differ, the query looks at `db.dialect` inside itself.
 *
 * Execution is ours, not Kysely's: SQLite keeps its prepared-statement cache and runs without
 * a connection pool's round trips; MySQL uses the driver's callback API (the promise wrapper's
 * stack capture cost ~4 % CPU under load). Both show in the benchmark's throughput phase.
 */
export interface SqlDb {
  readonly dialect: Dialect;
  readonly qb: Kysely<DB>;
  rows<R>(q: Compilable<R>): Promise<R[]>;
  first<R>(q: Compilable<R>): Promise<R | undefined>;
  /** Runs a write; returns the rows it matched (MySQL: found rows, as mysql2 connects with FOUND_ROWS). */
  run(q: Compilable<unknown> | CompiledQuery): Promise<number>;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, other callers wait; MySQL: one pooled connection). */
  tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T>;
}

/** A Kysely instance that only compiles (Kysely's "split building and execution" recipe). */
export function queryBuilder(dialect: Dialect): Kysely<DB> {
  return new Kysely<DB>({
    dialect: dialect === 'sqlite'
      ? { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() }
      : { createAdapter: () => new MysqlAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new MysqlIntrospector(db), createQueryCompiler: () => new MysqlQueryCompiler() },
  });
}

export function compiled(q: Compilable<unknown> | CompiledQuery): CompiledQuery {
  return 'compile' in q ? q.compile() : q;
}

/** The engine's spelling of the states a worker still has to move (used inside queries). */
export const PENDING = ['received', 'answered', 'sending'] as const;
