import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { after, test } from 'node:test';
import { MIGRATIONS, type TextMigration } from '../../src/store/migrations.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import type { Store } from '../../src/store/types.js';
import { freshDatabase } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';

const needsMysql = await requireMysql();
const drops: (() => Promise<void>)[] = [];
after(async () => {
  for (const d of drops) await d();
});

test('sqlite: a migration that fails part-way leaves the file as it was', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wxcoze-mig-')), 'wxcoze.db');
  const pre = new Database(file);
  pre.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('kept')");
  pre.close();
  const store = SqlStore.sqlite(file);
  await assert.rejects(store.migrate(), /users/);
  await store.close();
  const db = new Database(file, { readonly: true });
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r: any) => r.name);
  assert.deepEqual(
    tables.filter((t) => t !== 'schema_migrations'),
    ['users'],
  );
  assert.deepEqual(db.prepare('SELECT * FROM users').all(), [{ name: 'kept' }]);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, 0);
  db.close();
});

test(
  'mysql: a migration that fails part-way is undone; existing data untouched',
  { skip: needsMysql },
  async () => {
    const target = await freshDatabase();
    drops.push(target.drop);
    const c = await mysql.createConnection(target.url);
    await c.query('CREATE TABLE users (name VARCHAR(20)) ENGINE=InnoDB');
    await c.query("INSERT INTO users VALUES ('kept')");
    const store = await SqlStore.mysql(target.url);
    await assert.rejects(store.migrate(), /rolled back/);
    await store.close();
    const [tables] = await c.query<any[]>('SHOW TABLES');
    const names = tables.map((r) => Object.values(r)[0]).sort();
    assert.deepEqual(names, ['schema_migrations', 'users']);
    const [rows] = await c.query<any[]>('SELECT * FROM users');
    assert.deepEqual(
      rows.map((r) => r.name),
      ['kept'],
    );
    await c.end();
  },
);

/**
 * Upgrade to scoped API identities (migration 3): identities that exist before it keep their
 * internal user (their Coze memory): the first key that sends the same identity adopts it.
 */
const BEFORE_SCOPES = MIGRATIONS.filter((m): m is TextMigration => m.version <= 2 && 'sqlite' in m);
const OLD_ROWS: [string, string, string][] = [
  ['web', 'user:alice', 'u_alice'],
  ['web', 'owui-1111', 'u_owui'],
  ['web', 'key:0123456789abcdef', 'u_key'],
  ['web', 'task:background', 'u_task'],
  ['wecom', 'wmCUSTOMER', 'u_wecom'],
];

async function assertUpgradeKeepsUsers(store: Store) {
  await store.migrate();
  const now = Date.now();
  // The first key to send `user: alice` after the upgrade gets Alice's old internal user and conversation.
  assert.equal(await store.resolveUser('web', 'k:1111111111111111/user:alice', now, 'user:alice'), 'u_alice');
  assert.equal(await store.getConversation('u_alice', 'bot:1'), 'conv-alice');
  assert.equal(
    await store.resolveUser('web', 'k:1111111111111111/user:alice', now, 'user:alice'),
    'u_alice',
    'stable afterwards',
  );
  // Another key sending the same value is another person now.
  const other = await store.resolveUser('web', 'k:2222222222222222/user:alice', now, 'user:alice');
  assert.notEqual(other, 'u_alice');
  assert.equal(await store.resolveUser('web', 't:shop/owui:owui-1111', now, 'owui-1111'), 'u_owui');
  // Untouched: per-key identities, the shared task user, WeChat customers.
  assert.equal(await store.resolveUser('web', 'key:0123456789abcdef', now), 'u_key');
  assert.equal(await store.resolveUser('web', 'task:background', now), 'u_task');
  assert.equal(await store.resolveUser('wecom', 'wmCUSTOMER', now), 'u_wecom');
  // Unscoped spellings no longer resolve to the old users.
  assert.notEqual(await store.resolveUser('web', 'user:alice', now), 'u_alice');
}

test("sqlite: upgrading keeps every existing API identity's internal user", async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wxcoze-mig-')), 'wxcoze.db');
  const pre = new Database(file);
  pre.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const m of BEFORE_SCOPES) {
    pre.exec(m.sqlite);
    pre.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  for (const [channel, id, user] of OLD_ROWS) {
    pre.prepare('INSERT INTO users VALUES (?, 0)').run(user);
    pre.prepare('INSERT INTO identities VALUES (?, ?, ?, 0)').run(channel, id, user);
  }
  pre.prepare("INSERT INTO conversations VALUES ('u_alice', 'bot:1', 'conv-alice', 0)").run();
  pre.close();
  const store = SqlStore.sqlite(file);
  try {
    await assertUpgradeKeepsUsers(store);
  } finally {
    await store.close();
  }
});

test("mysql: upgrading keeps every existing API identity's internal user", { skip: needsMysql }, async () => {
  const target = await freshDatabase();
  drops.push(target.drop);
  const c = await mysql.createConnection(target.url);
  await c.query(
    'CREATE TABLE schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB',
  );
  for (const m of BEFORE_SCOPES) {
    for (const stmt of m.mysql) await c.query(stmt);
    await c.query('INSERT INTO schema_migrations VALUES (?, ?, 0)', [m.version, m.name]);
  }
  for (const [channel, id, user] of OLD_ROWS) {
    await c.query('INSERT INTO users VALUES (?, 0)', [user]);
    await c.query('INSERT INTO identities VALUES (?, ?, ?, 0)', [channel, id, user]);
  }
  await c.query("INSERT INTO conversations VALUES ('u_alice', 'bot:1', 'conv-alice', 0)");
  await c.end();
  const store = await SqlStore.mysql(target.url);
  try {
    await assertUpgradeKeepsUsers(store);
    // Two requests racing to adopt the same old identity get one user.
    const c2 = await mysql.createConnection(target.url);
    await c2.query("INSERT INTO users VALUES ('u_race', 0)");
    await c2.query("INSERT INTO legacy_web_identities VALUES ('user:race', 'u_race', 0)");
    await c2.end();
    const both = await Promise.all(
      [1, 2, 3].map(() => store.resolveUser('web', 'k:3333333333333333/user:race', Date.now(), 'user:race')),
    );
    assert.deepEqual(both, ['u_race', 'u_race', 'u_race']);
  } finally {
    await store.close();
  }
});

/**
 * Migration 4: the apology flag replaces the 'failed:' note prefix. A stored answer with such a
 * note was the apology (delivered, it ends failed); a 'failed:' note without an answer was not.
 */
const BEFORE_FLAG = MIGRATIONS.filter((m): m is TextMigration => m.version <= 3 && 'sqlite' in m);
const INBOX_ROWS: [string, string, string | null, string | null][] = [
  ['apology-pending', 'answered', 'failed: coze unreachable', '[{"kind":"text","content":"sorry"}]'],
  ['told-before', 'failed', 'failed: coze unreachable (apology already sent)', null],
  ['plain', 'answered', 'quiet hours', '[{"kind":"text","content":"closed"}]'],
  ['unnoted', 'done', null, '[{"kind":"text","content":"hi"}]'],
];
const INSERT_INBOX =
  "INSERT INTO inbox (msgid, open_kfid, external_userid, origin, msgtype, send_time, payload, state, note, parts, created_at, updated_at) VALUES (?, 'wk', 'u', 3, 'text', 0, '{}', ?, ?, ?, 0, 0)";

async function assertApologyFlags(store: Store) {
  await store.migrate();
  const flags = await Promise.all(INBOX_ROWS.map(async ([msgid]) => (await store.get(msgid))!.apologized));
  assert.deepEqual(flags, [true, false, false, false]);
}

test('sqlite: upgrading turns "failed:" notes on stored answers into the apology flag', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wxcoze-mig-')), 'wxcoze.db');
  const pre = new Database(file);
  pre.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const m of BEFORE_FLAG) {
    pre.exec(m.sqlite);
    pre.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  for (const row of INBOX_ROWS) pre.prepare(INSERT_INBOX).run(...row);
  pre.close();
  const store = SqlStore.sqlite(file);
  try {
    await assertApologyFlags(store);
  } finally {
    await store.close();
  }
});

test(
  'mysql: upgrading turns "failed:" notes on stored answers into the apology flag',
  { skip: needsMysql },
  async () => {
    const target = await freshDatabase();
    drops.push(target.drop);
    const c = await mysql.createConnection(target.url);
    await c.query(
      'CREATE TABLE schema_migrations (version INT NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB',
    );
    for (const m of BEFORE_FLAG) {
      for (const stmt of m.mysql) await c.query(stmt);
      await c.query('INSERT INTO schema_migrations VALUES (?, ?, 0)', [m.version, m.name]);
    }
    for (const row of INBOX_ROWS) await c.query(INSERT_INBOX, row);
    await c.end();
    const store = await SqlStore.mysql(target.url);
    try {
      await assertApologyFlags(store);
    } finally {
      await store.close();
    }
  },
);
