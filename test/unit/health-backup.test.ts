import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { Health } from '../../src/ops/health.js';
import { MemoryCoordinator } from '../../src/store/coordination/memory.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { credentialEnv, tempDir } from '../helpers/harness.js';

async function healthIn(dataDir: string) {
  const { config, problems } = loadConfig({ env: credentialEnv(dataDir), cwd: dataDir });
  assert.deepEqual(problems, []);
  const store = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  await store.migrate();
  const health = new Health({
    store,
    coordinator: new MemoryCoordinator(),
    config,
    wecom: { getAccessToken: async () => 'token' },
    coze: { getMe: async () => ({}) },
    version: '0.0.0',
    startedAt: Date.now(),
    instanceId: () => 'test',
  });
  return { health, store, config };
}

test("the health report's last backup: none, then the store's record, then a newer file in the backup folder", async () => {
  const dir = tempDir();
  const { health, store, config } = await healthIn(dir);
  let b = (await health.report()).backup;
  assert.deepEqual(b, {
    kind: 'sqlite',
    daily: true,
    hour: config.maintenance.backupHour,
    lastAt: null,
    last: null,
  });

  const recorded = Date.now() - 5 * 3600_000;
  await store.maintenance.record('backup', 'wxcoze-2026-12-03T01-00-00Z.db', recorded);
  b = (await health.report()).backup;
  assert.equal(b.lastAt, recorded);
  assert.equal(b.last, 'wxcoze-2026-12-03T01-00-00Z.db');

  // A copy made by hand, an hour ago, newer than the record: doctor counts it, so does the page.
  mkdirSync(config.maintenance.backupDir, { recursive: true });
  const file = join(config.maintenance.backupDir, 'wxcoze-2026-12-03T05-00-00Z.db');
  writeFileSync(file, 'x');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(file, hourAgo, hourAgo);
  b = (await health.report()).backup;
  assert.equal(Math.round(b.lastAt! / 1000), Math.round(hourAgo.getTime() / 1000));
  assert.equal(b.last, 'wxcoze-2026-12-03T05-00-00Z.db');
  await store.close();
});
