import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { after, test } from 'node:test';
import { MysqlStore } from '../../src/store/mysql/mysql-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { freshDatabase } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';

const needsMysql = await requireMysql();
const drops: (() => Promise<void>)[] = [];
after(async () => { for (const d of drops) await d(); });

test('sqlite: a migration that fails part-way leaves the file as it was', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wxcoze-mig-')), 'wxcoze.db');
  const pre = new Database(file);
  pre.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('kept')");
  pre.close();
  const store = new SqliteStore(file);
  await assert.rejects(store.migrate(), /users/);
  await store.close();
  const db = new Database(file, { readonly: true });
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r: any) => r.name);
  assert.deepEqual(tables.filter((t) => t !== 'schema_migrations'), ['users']);
  assert.deepEqual(db.prepare('SELECT * FROM users').all(), [{ name: 'kept' }]);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, 0);
  db.close();
});

test('mysql: a migration that fails part-way is undone; existing data untouched', { skip: needsMysql }, async () => {
  const target = await freshDatabase();
  drops.push(target.drop);
  const c = await mysql.createConnection(target.url);
  await c.query("CREATE TABLE users (name VARCHAR(20)) ENGINE=InnoDB");
  await c.query("INSERT INTO users VALUES ('kept')");
  const store = new MysqlStore(target.url);
  await assert.rejects(store.migrate(), /rolled back/);
  await store.close();
  const [tables] = await c.query<any[]>('SHOW TABLES');
  const names = tables.map((r) => Object.values(r)[0]).sort();
  assert.deepEqual(names, ['schema_migrations', 'users']);
  const [rows] = await c.query<any[]>('SELECT * FROM users');
  assert.deepEqual(rows.map((r) => r.name), ['kept']);
  await c.end();
});
