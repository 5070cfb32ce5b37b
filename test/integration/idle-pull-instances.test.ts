/**
 * Two instances on one MariaDB + Redis, no callbacks at all: the idle account is pulled once per
 * WXCOZE_IDLE_PULL_S between them, not once per instance, and a message whose callback was lost is
 * answered once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { backendEnv, KF, serverEnv, settle, startFakes, tempDir, waitFor } from '../helpers/harness.js';
import { requireMysql } from '../helpers/requirements.js';

const INTERVAL_S = 2;
const needsMysql = await requireMysql();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

test(
  'two instances: an idle account gets one sync_msg per interval, not two; the lost message is answered once',
  { skip: needsMysql, timeout: 120_000 },
  async () => {
    process.env.WXCOZE_TEST_BACKEND = 'mysql';
    const fakes = await startFakes();
    closers.push(
      () => fakes.wecom.close(),
      () => fakes.coze.close(),
    );
    const backend = await backendEnv();
    closers.push(backend.cleanup);
    const servers: RunningServer[] = [];
    for (let n = 0; n < 2; n++) {
      const { config, problems } = loadConfig({
        env: serverEnv(fakes, tempDir(), { ...backend.env, WXCOZE_IDLE_PULL_S: String(INTERVAL_S) }),
        cwd: tempDir(),
      });
      assert.deepEqual(problems, []);
      const s = await startServer(config, createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' }));
      servers.push(s);
      closers.push(() => s.stop(2000));
    }
    fakes.wecom.setCallbackUrl(`${servers[0]!.url}/wechat/hook`);
    // The account becomes known through one ordinary message.
    await fakes.wecom.customerSends(KF, 'wmTwoFirst', { text: '你好' });
    await waitFor('the first answer', () => fakes.wecom.sentTo('wmTwoFirst').length === 1);

    const syncs = () =>
      fakes.wecom.calls
        .filter((c) => c.path.includes('sync_msg') && c.body?.open_kfid === KF)
        .map((c) => c.at);
    // From here on no callback comes at all: every pull is an idle pull. WeCom answers slowly, so
    // the store's last pull time stays old while a pull runs: only the shared claim keeps the other
    // instance from pulling too (or raising the pull-again flag) meanwhile.
    fakes.wecom.setLatency(1000);
    const from = syncs().length;
    await fakes.wecom.customerSends(KF, 'wmTwoLost', { text: '没有回调的消息' }, { notify: false });
    await waitFor('the lost message answered', () => fakes.wecom.sentTo('wmTwoLost').length > 0, 30_000);
    await waitFor('several idle pulls', () => syncs().length - from >= 4, 60_000, 200);
    await settle(500);
    assert.equal(fakes.wecom.sentTo('wmTwoLost').length, 1, 'answered once');

    const at = syncs().slice(from);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Both instances pulling would put pulls about one WeCom round trip (1 s) apart; one per interval
    // keeps them at least about the interval apart (timers only ever run late).
    assert.ok(
      gaps.every((g) => g >= INTERVAL_S * 1000 * 0.8),
      `sync_msg gaps (ms): ${gaps.join(', ')}`,
    );
  },
);
