/**
 * What a user is told when the MySQL/MariaDB of WXCOZE_DATABASE_URL cannot be used at all (server
 * down, wrong host, password or database name): the driver's own words ("connect ECONNREFUSED
 * 127.0.0.1:3306") say what failed but not what to do. Shaped like SqliteDriverError (problem +
 * fix): `wxcoze doctor` prints the two apart, `wxcoze start` prints the message.
 */
const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (is the database server running?)',
  ENOTFOUND: 'that host name does not resolve',
  EAI_AGAIN: 'that host name does not resolve (DNS did not answer)',
  ETIMEDOUT: 'the connection timed out (a firewall, or the wrong host)',
  EHOSTUNREACH: 'that host is unreachable',
  ER_ACCESS_DENIED_ERROR: 'the user or password is refused',
  ER_DBACCESS_DENIED_ERROR: 'this user may not use that database',
  ER_BAD_DB_ERROR: 'that database does not exist (create it first: CREATE DATABASE …)',
};

export class MysqlUnreachableError extends Error {
  readonly problem: string;
  readonly fix: string;
  constructor(url: string, cause: Error & { code?: string }) {
    const problem = `cannot use the database at ${whereOf(url)} (WXCOZE_DATABASE_URL): ${CONNECTION_CODES[cause.code ?? ''] ?? 'it refused the connection'} — ${cause.message}`;
    const fix =
      'Start the database server, or fix WXCOZE_DATABASE_URL (mysql://user:password@host:3306/database); `wxcoze doctor` checks it.';
    super(`${problem}\n→ ${fix}`, { cause });
    this.problem = problem;
    this.fix = fix;
  }

  /** Whether `err` means the database cannot be reached or entered (not a fault in a query). */
  static isConnectionError(err: unknown): err is Error & { code?: string } {
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === 'string' && code in CONNECTION_CODES;
  }
}

/**
 * What follows a URL's credentials: after its last '@' (a password with an unencoded '/' or '@'
 * cannot end up in the host part), else after its scheme.
 */
function afterCredentials(url: string): string {
  if (url.includes('@')) return url.slice(url.lastIndexOf('@') + 1);
  const scheme = url.indexOf('://');
  return scheme >= 0 ? url.slice(scheme + 3) : url;
}

/** host:port/database, never the user or password. */
export function whereOf(url: string): string {
  try {
    const u = new URL(`mysql://${afterCredentials(url)}`);
    return `${u.hostname}:${u.port || '3306'}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}

/** WXCOZE_DATABASE_URL as `status` and `doctor` show it: the user and password replaced by '…'. */
export function shownDatabaseUrl(url: string): string {
  if (!url.includes('@')) return url;
  const scheme = url.indexOf('://');
  return `${scheme >= 0 ? url.slice(0, scheme + 3) : ''}…@${afterCredentials(url)}`;
}
