/**
 * Opens a better-sqlite3 database, and names the one failure a user cannot read on their own: its
 * native part (better_sqlite3.node) missing or built for another Node.js. npm downloads it from
 * GitHub when wxcoze is installed and compiles it when that fails; where GitHub is unreachable
 * (mainland China) and no compiler is installed, the install ends without it.
 */
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export const SQLITE_INSTALL_HELP = 'README section "Installing where GitHub is unreachable"';
export const BINARY_MIRROR = 'https://registry.npmmirror.com/-/binary/better-sqlite3';

export class SqliteDriverError extends Error {
  readonly problem: string;
  constructor(cause: Error, readonly fix: string) {
    const problem = `the SQLite driver (better-sqlite3's native part) does not load on Node.js ${process.version}: ${cause.message.split('\n')[0]}`;
    super(`${problem}\n→ ${fix}`, { cause });
    this.problem = problem;
  }
}

function isDriverLoadError(err: unknown): err is Error {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error && (e.code === 'ERR_DLOPEN_FAILED' || /bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|ELF/.test(e.message));
}

/** The folder whose node_modules holds better-sqlite3 (where `npm rebuild` must run). */
function installFolder(): string {
  const pkg = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
  return dirname(dirname(dirname(pkg)));
}

export function driverFix(): string {
  return `Fetch it again from a mirror: \`cd ${installFolder()} && npm_config_better_sqlite3_binary_host_mirror=${BINARY_MIRROR} npm rebuild better-sqlite3\` (or install python3, make and g++ so it can be compiled); the ${SQLITE_INSTALL_HELP} says what each case needs. Or use MySQL instead (WXCOZE_DATABASE_URL).`;
}

export function openSqlite(file: string, options?: Database.Options): Database.Database {
  try {
    return new Database(file, options);
  } catch (err) {
    if (isDriverLoadError(err)) throw new SqliteDriverError(err, driverFix());
    throw err;
  }
}
