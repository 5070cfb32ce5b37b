/**
 * Opens a better-sqlite3 database, and names the one failure a user cannot read on their own: its
 * native part missing or built for another Node.js. The words are in scripts/sqlite-driver.cjs,
 * shared with the postinstall check (the same path from src/ and dist/).
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';

interface DriverHelp {
  README_SECTION: string;
  BINARY_MIRROR: string;
  fix(): string;
  problem(err: Error): string;
  isLoadError(err: unknown): err is Error;
  load(): typeof Database;
}

const help = createRequire(import.meta.url)('../../../scripts/sqlite-driver.cjs') as DriverHelp;

export class SqliteDriverError extends Error {
  readonly problem: string;
  readonly fix: string;
  constructor(cause: Error) {
    const problem = help.problem(cause);
    const fix = help.fix();
    super(`${problem}\n→ ${fix}`, { cause });
    this.problem = problem;
    this.fix = fix;
  }
}

export function openSqlite(file: string, options?: Database.Options): Database.Database {
  try {
    const Driver = help.load();
    return new Driver(file, options);
  } catch (err) {
    if (help.isLoadError(err)) throw new SqliteDriverError(err);
    throw err;
  }
}
