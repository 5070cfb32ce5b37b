/** `wxcoze backup` on MySQL/MariaDB prints the mysqldump line: consistent, and never the password. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mysqldumpAdvice } from '../../src/cli/commands/backup.js';

test("the mysqldump line: single transaction, the URL's host, port, user and database, no password", () => {
  const out = mysqldumpAdvice('mysql://wx%40shop:s3cr3t-pw@db.internal:3307/wxcoze_prod', 'dump.sql');
  assert.match(
    out,
    /mysqldump --single-transaction --quick --no-tablespaces --default-character-set=utf8mb4 -h db\.internal -P 3307 -u wx@shop -p wxcoze_prod > dump\.sql/,
  );
  assert.ok(!out.includes('s3cr3t-pw'), 'the password is never printed');
  assert.match(out, /~\/\.my\.cnf \(chmod 600\)/);
  assert.match(out, /mysql -h db\.internal -P 3307 -u wx@shop -p wxcoze_prod < dump\.sql/);
});
