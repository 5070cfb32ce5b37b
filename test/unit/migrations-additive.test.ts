/**
 * The rule that lets instances on one MySQL database be updated one at a time, and lets `wxcoze
 * update` roll the code back without the data (ARCHITECTURE.md, "Migrations an older version can
 * read"): every migration after the last one released before the rule is additive. No DROP, no
 * RENAME, and no new column the previous version could not fill (NOT NULL without a DEFAULT).
 * Dropping or renaming waits for the release after the one that stopped using the old name, and is
 * then reviewed by raising REVIEWED_UP_TO past it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { queryBuilder, type Dialect } from '../../src/store/sql/db.js';

/** Migrations up to this version were released before the rule was written down (they keep to it too). */
const REVIEWED_UP_TO = 12;

function statements(m: Migration, dialect: Dialect): string[] {
  if ('sqlite' in m) return dialect === 'sqlite' ? [m.sqlite] : m.mysql;
  return m.up(queryBuilder(dialect), dialect).map((q) => q.sql);
}

/** What in a migration an older version could not live with, or [] when it is additive. */
function notAdditive(m: Migration): string[] {
  const found: string[] = [];
  for (const dialect of ['sqlite', 'mysql'] as const)
    for (const text of statements(m, dialect)) {
      const s = text.replace(/\s+/g, ' ');
      if (/\bdrop\b/i.test(s)) found.push(`${dialect}: drops something: ${s}`);
      if (/\brename\b/i.test(s) || /\bchange column\b/i.test(s))
        found.push(`${dialect}: renames something: ${s}`);
      if (/\bmodify\b/i.test(s)) found.push(`${dialect}: changes a column's type: ${s}`);
      if (/\badd (column )?\S+ .*\bnot null\b/i.test(s) && !/\bdefault\b/i.test(s))
        found.push(
          `${dialect}: adds a NOT NULL column without a DEFAULT (the previous version's INSERTs fail): ${s}`,
        );
    }
  return found;
}

test('migrations after the reviewed ones only add: no drop, rename or required column the previous version cannot fill', () => {
  const later = MIGRATIONS.filter((m) => m.version > REVIEWED_UP_TO);
  for (const m of later)
    assert.deepEqual(
      notAdditive(m),
      [],
      `migration ${m.version} (${m.name}) must stay readable by the previous version during a rolling update: add, do not drop or rename (see ARCHITECTURE.md)`,
    );
});

test('the check itself catches a drop, a rename and a required column, and lets additive steps through', () => {
  const built = (up: Extract<Migration, { up: unknown }>['up']): Migration => ({
    version: 99,
    name: 'sample',
    up,
    down: () => [],
  });
  const drop = built((qb) => [qb.schema.alterTable('inbox').dropColumn('note').compile()]);
  const rename = built((qb) => [qb.schema.alterTable('inbox').renameColumn('note', 'notes').compile()]);
  const required = built((qb) => [
    qb.schema
      .alterTable('inbox')
      .addColumn('kind', 'varchar(20)', (c) => c.notNull())
      .compile(),
  ]);
  const dropTable = built((qb) => [qb.schema.dropTable('customers').compile()]);
  assert.match(notAdditive(drop).join('\n'), /sqlite: drops something/);
  assert.match(notAdditive(rename).join('\n'), /mysql: renames something/);
  assert.match(notAdditive(required).join('\n'), /NOT NULL column without a DEFAULT/);
  assert.match(notAdditive(dropTable).join('\n'), /drops something/);

  const additive = built((qb) => [
    qb.schema.alterTable('inbox').addColumn('kind', 'varchar(20)').compile(),
    qb.schema
      .alterTable('inbox')
      .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
      .compile(),
    qb.schema
      .createTable('extra')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .compile(),
    qb.schema.createIndex('extra_by_id').on('extra').column('id').compile(),
  ]);
  assert.deepEqual(notAdditive(additive), []);
});
