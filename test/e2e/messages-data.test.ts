/**
 * What the CLI prints when something is wrong (issue 9, "messages that confused"): each case says
 * what is wrong and what to do, through the real CLI as a user runs it. This file: the stores (migrate-store, users) and the demo.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { freshDatabase, TEST_MYSQL_URL } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';
import { baseEnv, cli, spawnCli, tempDir, waitFor } from './helpers.js';

test('migrate-store refuses while wxcoze runs on the source', async () => {
  const dataDir = tempDir();
  // A live pid in the pid file: this test process stands in for the running server.
  writeFileSync(join(dataDir, 'wxcoze.pid'), `${process.pid}\n`);
  const r = await cli(
    ['migrate-store', '--to', 'mysql://root@127.0.0.1:1/wxcoze', '--data-dir', dataDir],
    baseEnv({}),
  );
  assert.equal(r.exitCode, 1);
  assert.match(r.out, new RegExp(`wxcoze is running on ${dataDir} \\(pid ${process.pid}\\)`));
  assert.match(r.out, new RegExp(`Stop it first \\(\`wxcoze --data-dir ${dataDir} stop\`\\)`));
});

const noMysql = await requireMysql();
test(
  'migrate-store to a database that does not exist: how to create it, and nothing claimed as kept',
  { skip: noMysql },
  async () => {
    const dataDir = tempDir();
    const store = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
    await store.migrate();
    await store.resolveUser('wecom', 'wmSomeone', 1);
    await store.close();
    const u = new URL(TEST_MYSQL_URL);
    u.pathname = '/wxcoze_never_created_9';
    const r = await cli(['migrate-store', '--to', u.toString(), '--data-dir', dataDir], baseEnv({}));
    assert.equal(r.exitCode, 1, r.out);
    assert.match(r.out, /the database mysql:\/\/.*\/wxcoze_never_created_9 does not exist/);
    assert.match(
      r.out,
      /CREATE DATABASE `wxcoze_never_created_9` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;/,
    );
    assert.match(r.out, /Nothing was copied\./);
    assert.doesNotMatch(r.out, /already copied are kept/);
    // And a database that exists still copies (the message change did not break the path).
    const db = await freshDatabase();
    try {
      const ok = await cli(['migrate-store', '--to', db.url, '--data-dir', dataDir], baseEnv({}));
      assert.equal(ok.exitCode, 0, ok.out);
      assert.match(ok.out, /identities\s+1 rows read, 1 new/);
    } finally {
      await db.drop();
    }
  },
);

test('users link refuses an identity nobody has; users list pages the known ones, newest first', async () => {
  const dataDir = tempDir();
  const store = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  await store.migrate();
  await store.resolveUser('wecom', 'wmFirst', 1000);
  await store.resolveUser('web', 'owui-second', 2000);
  await store.resolveUser('wecom', 'wmThird', 3000);
  await store.close();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });

  const r = await cli(['users', 'link', 'wecom:wmFirst', 'web:owui-typo'], env);
  assert.equal(r.exitCode, 1);
  assert.match(r.out, /web:owui-typo is unknown: nobody has written with this identity yet/);
  assert.match(r.out, /`wxcoze users list` shows the identities wxcoze knows/);
  const still = await cli(['users', 'show', 'web:owui-typo'], env);
  assert.equal(still.exitCode, 1, 'nothing was created');

  const page1 = await cli(['users', 'list', '--limit', '2'], env);
  assert.equal(page1.exitCode, 0, page1.out);
  assert.ok(page1.out.indexOf('wecom:wmThird') < page1.out.indexOf('web:owui-second'), 'newest first');
  assert.doesNotMatch(page1.out, /wmFirst/);
  assert.match(page1.out, /users 1–2 of 3, newest first; next page: `wxcoze users list --page 2 --limit 2`/);
  const page2 = await cli(['users', 'list', '--limit', '2', '--page', '2'], env);
  assert.match(page2.out, /wecom:wmFirst/);
  assert.match(page2.out, /users 3–3 of 3/);

  const linked = await cli(['users', 'link', 'wecom:wmFirst', 'web:owui-second'], env);
  assert.equal(linked.exitCode, 0, linked.out);
  const json = JSON.parse((await cli(['users', 'list', '--json'], env)).stdout) as {
    total: number;
    users: { identities: unknown[] }[];
  };
  assert.equal(json.total, 2, 'the merged user is gone');
  assert.ok(json.users.some((u) => u.identities.length === 2));
});

test('demo removes its temporary folder: after a normal run and after Ctrl-C', async () => {
  const tmp = tempDir();
  const env = baseEnv({ TMPDIR: tmp });
  const demos = () => readdirSync(tmp).filter((n) => n.startsWith('wxcoze-demo-'));
  const r = await cli(['demo'], env);
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual(demos(), []);

  const child = spawnCli(['demo'], env);
  let said = '';
  child.all!.on('data', (d: Buffer) => {
    said += d.toString();
  });
  await waitFor('the demo to start', () => said.includes('wxcoze demo — server'), 30_000);
  assert.equal(demos().length, 1, 'the folder exists while the demo runs');
  child.kill('SIGINT');
  await child;
  assert.deepEqual(demos(), []);
  mkdirSync(join(tmp, 'keep-me')); // other folders in the temp directory are not touched
  assert.ok(existsSync(join(tmp, 'keep-me')));
});

test('demo --console: the console stays open with the printed admin password, until Ctrl-C', async () => {
  const tmp = tempDir();
  const env = baseEnv({ TMPDIR: tmp });
  const child = spawnCli(['demo', '--console'], env);
  let said = '';
  child.all!.on('data', (d: Buffer) => {
    said += d.toString();
  });
  const m = await waitFor(
    'the console line',
    () => /Operator console 控制台: (http:\/\/\S+)\s+\(user admin, password (\S+)\)/.exec(said),
    60_000,
  );
  const [, url, password] = m!;
  assert.match(said, /3 customer messages, 3 replies/);
  // The printed password logs in (the login form's CSRF cookie first, as a browser would).
  const form = await fetch(`${url}/login`);
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, name: 'admin', password: password! }).toString(),
  });
  assert.equal(login.status, 303, await login.text());
  assert.ok(login.headers.getSetCookie().some((c) => c.startsWith('wxcoze_session=')));
  child.kill('SIGINT');
  await child.catch(() => {});
  assert.deepEqual(
    readdirSync(tmp).filter((n) => n.startsWith('wxcoze-demo-')),
    [],
  );
});
