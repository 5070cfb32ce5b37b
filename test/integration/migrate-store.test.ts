/**
 * A business outgrows the embedded store: `wxcoze migrate-store --to mysql://…` moves it, and the
 * next message of an existing customer continues the same Coze conversation as the same user.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer } from '../../src/server/start-server.js';
import { CLI_JS } from '../helpers/cli-entry.js';
import { KF, serverEnv, settle, startFakes, tempDir, waitFor } from '../helpers/harness.js';
import { freshDatabase } from '../helpers/mysql.js';
import { requireMysql } from '../helpers/requirements.js';

const needsMysql = await requireMysql();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

test(
  'migrate-store moves a populated SQLite store; the next message continues the same conversation',
  { skip: needsMysql, timeout: 60_000 },
  async () => {
    const fakes = await startFakes();
    closers.push(
      () => fakes.wecom.close(),
      () => fakes.coze.close(),
    );
    const dataDir = tempDir();
    const logger = createLogger({ level: 'silent' });
    const run = async (extra: Record<string, string>) => {
      const { config, problems } = loadConfig({ env: serverEnv(fakes, dataDir, extra), cwd: dataDir });
      assert.deepEqual(problems, []);
      const server = await startServer(config, logger);
      fakes.wecom.setCallbackUrl(`${server.url}/wechat/hook`);
      return server;
    };

    const embedded = await run({});
    await fakes.wecom.customerSends(KF, 'wmMove', { text: '一' });
    await fakes.wecom.customerSends(KF, 'wmMove', { text: '二' });
    await waitFor('two replies', () => fakes.wecom.sentTo('wmMove').length === 2);
    await embedded.stop(2000);
    const before = fakes.coze.chats.at(-1)!;

    const db = await freshDatabase();
    closers.push(db.drop);
    const cli = spawnSync(
      process.execPath,
      [CLI_JS, 'migrate-store', '--to', db.url, '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /identities\s+1 rows read, 1 new/);
    assert.match(cli.stdout, /conversations\s+1 rows read, 1 new/);
    assert.match(cli.stdout, /inbox\s+2 rows read, 2 new/);
    // Running it again changes nothing.
    const again = spawnSync(
      process.execPath,
      [CLI_JS, 'migrate-store', '--to', db.url, '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    assert.equal(again.status, 0);
    assert.match(again.stdout, /inbox\s+2 rows read, 0 new/);

    const onMysql = await run({ WXCOZE_DATABASE_URL: db.url });
    closers.push(() => onMysql.stop(2000));
    assert.equal(onMysql.store.kind, 'mysql');
    await fakes.wecom.customerSends(KF, 'wmMove', { text: '三' });
    await waitFor('the third reply', () => fakes.wecom.sentTo('wmMove').length === 3);
    await settle(500);
    const afterMove = fakes.coze.chats.at(-1)!;
    assert.equal(afterMove.userId, before.userId, 'same internal user');
    assert.equal(afterMove.conversationId, before.conversationId, 'same Coze conversation');
    assert.equal(fakes.wecom.sentTo('wmMove').length, 3, 'old messages are not answered again');
  },
);

test('migrate-store refuses a target that is not a MySQL URL', () => {
  const cli = spawnSync(
    process.execPath,
    [CLI_JS, 'migrate-store', '--to', 'postgres://x/y', '--data-dir', tempDir()],
    { encoding: 'utf8' },
  );
  assert.equal(cli.status, 2);
  assert.match(cli.stderr, /mysql:\/\//);
});
