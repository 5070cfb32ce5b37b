/**
 * MariaDB/MySQL for tests: a fresh database per use on the machine's server. Tests that need it ask
 * requireMysql() (./requirements.ts): skipped loudly on a laptop without one, a failure in CI.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

export const TEST_MYSQL_URL = process.env.WXCOZE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/wxcoze_test';
export const TEST_REDIS_URL = process.env.WXCOZE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

let reachable: Promise<string | null> | undefined;

/** null when MariaDB answers; otherwise the reason it does not. */
export function mysqlUnavailable(): Promise<string | null> {
  reachable ??= (async () => {
    try {
      const u = new URL(TEST_MYSQL_URL);
      const c = await mysql.createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
        connectTimeout: 2000,
      });
      await c.end();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  })();
  return reachable;
}

/** Creates an empty database and returns its URL and a drop function. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const u = new URL(TEST_MYSQL_URL);
  const name = `wxcoze_t_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = await mysql.createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/**
 * Runs an integration suite again on MariaDB + Redis: sets the backend, then loads the suite's
 * file (its tests register as it loads). Without MariaDB it registers one loudly skipped test.
 */
export async function onMysql(suite: string, load: () => Promise<unknown>): Promise<void> {
  const { requireMysql } = await import('./requirements.js');
  const skip = await requireMysql();
  if (skip) {
    const { test } = await import('node:test');
    test(`${suite} on MariaDB + Redis`, { skip }, () => {});
    return;
  }
  process.env.WXCOZE_TEST_BACKEND = 'mysql';
  await load();
}
