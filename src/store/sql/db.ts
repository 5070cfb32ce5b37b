import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type Compilable,
  type CompiledQuery,
  type RawBuilder,
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
  rows<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R[]>;
  first<R>(q: Compilable<R> | CompiledQuery<R>): Promise<R | undefined>;
  /** Runs a write; returns the rows it matched (MySQL: found rows, as mysql2 connects with FOUND_ROWS). */
  run(q: Compilable<unknown> | CompiledQuery): Promise<number>;
  /** Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, other callers wait; MySQL: one pooled connection). */
  tx<T>(fn: (db: SqlDb) => Promise<T>): Promise<T>;
}

/** A Kysely instance that only compiles (Kysely's "split building and execution" recipe). */
export function queryBuilder(dialect: Dialect): Kysely<DB> {
  return new Kysely<DB>({
    dialect:
      dialect === 'sqlite'
        ? {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new SqliteIntrospector(db),
            createQueryCompiler: () => new SqliteQueryCompiler(),
          }
        : {
            createAdapter: () => new MysqlAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new MysqlIntrospector(db),
            createQueryCompiler: () => new MysqlQueryCompiler(),
          },
  });
}

export function compiled<R>(q: Compilable<R> | CompiledQuery<R>): CompiledQuery<R> {
  return 'compile' in q ? q.compile() : q;
}

const SLOT = '\u0001wxcoze-arg-';

/**
 * A hot-path query built and compiled once per dialect, then reused with new arguments: building
 * and compiling a Kysely query costs ~80–150 µs, a dozen times per message. `build` is called once
 * with a marker in place of each argument; the compiled parameters that are markers are replaced
 * by the call's arguments (in any position), the others (constants written in the query) kept.
 * So arguments must reach the query as they are: compute derived values (JSON, partNo + 1)
 * before the call. Only for queries whose shape never changes with the arguments (no `in` lists).
 */
export function prepared<A extends unknown[], R>(
  build: (qb: Kysely<DB>, ...args: A) => Compilable<R>,
): (qb: Kysely<DB>, ...args: A) => CompiledQuery<R> {
  const cache = new WeakMap<Kysely<DB>, { q: CompiledQuery<R>; slots: (number | null)[] }>();
  return (qb, ...args) => {
    let t = cache.get(qb);
    if (!t) {
      const markers = Array.from({ length: build.length - 1 }, (_, i) => `${SLOT}${i}`) as unknown as A;
      const q = build(qb, ...markers).compile();
      const slots = q.parameters.map((p) =>
        typeof p === 'string' && p.startsWith(SLOT) ? Number(p.slice(SLOT.length)) : null,
      );
      t = { q, slots };
      cache.set(qb, t);
    }
    const { q, slots } = t;
    return { ...q, parameters: q.parameters.map((p, i) => (slots[i] === null ? p : args[slots[i]!])) };
  };
}

/** The engine's spelling of the states a worker still has to move (used inside queries). */
export const PENDING = ['received', 'answered', 'sending'] as const;

/**
 * `column` in a condition the planner must not answer from an index of its own (SQLite's unary +,
 * a no-op on MySQL, whose planner counts real rows). For a condition that matches most of the
 * inbox (one account's `open_kfid`, `state = 'failed'`) while another condition is the narrow one
 * (a time range): SQLite's sampled statistics (analysis_limit) can rate the broad one narrow and
 * walk every row it matches. test/unit/bounded-reads.test.ts holds the plans.
 */
export function unindexed<C extends string>(column: C): RawBuilder<string> {
  return sql<string>`+${sql.ref(column)}`;
}
