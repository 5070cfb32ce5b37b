/**
 * The daily backup as the server runs it (src/ops/maintenance/): VACUUM INTO in a worker thread
 * while this connection keeps writing, a whole consistent copy, mode 0600, the oldest pruned;
 * nothing runs before WXCOZE_BACKUP_HOUR.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { DailyMaintenance } from '../../src/ops/maintenance/daily.js';
import { backupSqlite, listBackups } from '../../src/ops/maintenance/sqlite-backup.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { inboxStates } from '../helpers/inbox-states.js';

test('a backup taken off the main thread during writes is a whole, private copy; daily runs keep the newest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-sqlite-backup-'));
  const file = join(dir, 'wxcoze.db');
  const s = SqlStore.sqlite(file);
  await s.migrate();
  const now = Date.now();
  const page = (i: number) =>
    s.commitPage(
      'wkB',
      `c${i}`,
      [
        {
          msgid: `m${i}`,
          openKfId: 'wkB',
          externalUserId: `wm${i}`,
          origin: 3,
          msgtype: 'text',
          sendTime: 1_700_000_000,
          payload: { text: { content: 'x'.repeat(500) } },
          state: 'skipped',
        },
      ],
      now,
    );
  for (let i = 0; i < 200; i++) await page(i);

  // Writes go on while the copy is taken.
  let writing = true;
  const writer = (async () => {
    for (let i = 200; writing; i++) {
      await page(i);
      await new Promise((r) => setImmediate(r)); // the event loop turns, as the server's does
    }
  })();
  const target = join(dir, 'backups', 'copy.db');
  const r = await backupSqlite(file, target, { offThread: true });
  writing = false;
  await writer;
  assert.equal(statSync(target).mode & 0o777, 0o600);
  const copy = SqlStore.sqlite(target);
  const n = Object.values(await inboxStates(copy)).reduce((a, b) => a + b, 0);
  assert.ok(n >= 200, `the copy has the ${n} rows committed before it began`);
  await copy.close();
  assert.ok(r.bytes > 0);
  await assert.rejects(backupSqlite(file, target, { offThread: true }), /already exists/);

  const logger = createLogger({ level: 'silent' });
  const config = {
    backupHour: 4,
    backupKeep: 2,
    backupDir: join(dir, 'daily'),
    retentionDays: 0,
    utcOffsetMin: 480,
  };
  const daily = new DailyMaintenance({ config, store: s, logger, owner: 'o', sqliteFile: file });
  // 03:00 in +08:00 is before the hour: nothing.
  assert.deepEqual(await daily.runDue(Date.parse('2030-01-01T19:00:00Z')), []);
  for (let d = 1; d <= 3; d++)
    assert.deepEqual(await daily.runDue(Date.parse(`2030-01-0${d}T21:00:00Z`)), ['backup']);
  const kept = listBackups(config.backupDir);
  assert.equal(kept.length, 2, 'the newest two are kept');
  assert.match(kept[0]!.file, /wxcoze-2030-01-03T21-00-00Z\.db$/);
  assert.equal((await s.maintenance.last('backup'))?.lastDay, '2030-01-04');
  await s.close();
});
