import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { probeCache } from '../../src/store/coordination/probe.js';
import { openStore } from '../../src/store/index.js';
import { MysqlUnreachableError, shownDatabaseUrl, whereOf } from '../../src/store/sql/mysql-unreachable.js';
import { tempDir } from '../helpers/harness.js';

/** A local port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

test('a MySQL nobody listens for is told as what is wrong and what to do, without the password', async () => {
  const port = await closedPort();
  const err = await openStore({
    dataDir: tempDir(),
    databaseUrl: `mysql://shop:s3cret-pw@127.0.0.1:${port}/wxcoze`,
  }).then(
    () => assert.fail('the store opened'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MysqlUnreachableError, String(err));
  assert.match(err.problem, new RegExp(`127\\.0\\.0\\.1:${port}/wxcoze \\(WXCOZE_DATABASE_URL\\)`));
  assert.match(err.problem, /is the database server running\?/);
  assert.match(err.problem, /ECONNREFUSED/, "the driver's own words stay");
  assert.match(err.fix, /WXCOZE_DATABASE_URL/);
  assert.match(err.fix, /wxcoze doctor/);
  assert.doesNotMatch(err.message, /s3cret-pw|shop/, 'no credentials in what is printed');
});

test("a Redis nobody listens for is reported by its connection's error, not ioredis's retry counter", async () => {
  const port = await closedPort();
  const r = await probeCache(`redis://127.0.0.1:${port}`);
  assert.equal(r.reachable, false);
  assert.match(r.error ?? '', new RegExp(`^cannot connect: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  assert.doesNotMatch(r.error ?? '', /maxRetriesPerRequest/);
});

test('where the database is, as told to the user, never carries the password (even one with / or @ in it)', () => {
  assert.equal(whereOf('mysql://shop:pw@db.example:3307/wxcoze'), 'db.example:3307/wxcoze');
  assert.equal(whereOf('mysql://u:123/x@h/db'), 'h:3306/db');
  assert.equal(whereOf('mysql://u:p@ss@127.0.0.1/db'), '127.0.0.1:3306/db');
  assert.equal(whereOf('mysql://127.0.0.1/db'), '127.0.0.1:3306/db');
});

test('the database URL as status and doctor show it hides the user and password, however they are spelled', () => {
  assert.equal(shownDatabaseUrl('mysql://shop:pw@db:3306/wxcoze'), 'mysql://…@db:3306/wxcoze');
  assert.equal(shownDatabaseUrl('mysql://u:123/x@h/db'), 'mysql://…@h/db');
  assert.equal(shownDatabaseUrl('mysql://u:p@ss@h/db'), 'mysql://…@h/db');
  assert.equal(shownDatabaseUrl('mysql://h/db'), 'mysql://h/db');
});
