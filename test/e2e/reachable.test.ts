/**
 * doctor fails when wxcoze listens on loopback only with nothing in front (no domain, no --url), and
 * plays WeCom's URL check against the running server (init's side: reachable-init.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
const dirs: string[] = [];
before(async () => {
  f = await startFakes();
});
after(async () => {
  for (const d of dirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await f.close();
});

interface Check {
  ok: boolean;
  title: string;
  detail: string;
  fix?: string;
  skipped?: boolean;
}
const reachable = (stdout: string) =>
  (JSON.parse(stdout) as { checks: Check[] }).checks.find((c) => c.title === 'WeCom can reach this server')!;

test('doctor: loopback only with no domain fails (never "Everything checked is in order"); with a proxy in front it plays WeCom\'s check on the running server; a server started before WXCOZE_HOST changed fails', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const port = await freePort();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, port), env)).exitCode, 0);
  // Loopback only, no domain: the one failing check, and never "Everything checked is in order".
  const stopped = await cli(['doctor'], env);
  assert.equal(stopped.exitCode, 1, stopped.out);
  assert.match(
    stopped.out,
    /✗ WeCom can reach this server: wxcoze listens on 127\.0\.0\.1:\d+, which only this machine can connect to, and no domain is set[^\n]*\n\s+→ Run `wxcoze init` again and choose how WeCom reaches this server/,
  );
  assert.match(stopped.out, /\n1 check failed: fix it and run `wxcoze doctor` again\./);
  assert.doesNotMatch(stopped.out, /Everything checked is in order/);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  try {
    // A proxy of the user's own in front (--url): the static part passes, WeCom's check is played locally.
    const url = `http://127.0.0.1:${port}/wechat/hook`;
    const ok = await cli(['doctor', '--url', url], env);
    assert.match(
      ok.out,
      new RegExp(
        `✓ WeCom can reach this server: WeCom calls ${url.replace(/[.]/g, '\\.')}; the proxy in front forwards to 127\\.0\\.0\\.1:${port}\\. WeCom's URL check passed on http://127\\.0\\.0\\.1:${port}/wechat/hook`,
      ),
    );
    assert.equal(ok.exitCode, 0, ok.out);
    assert.match(ok.out, /\nNo check failed\./);

    // WXCOZE_HOST=0.0.0.0 now, but the server running was started before: it still listens on 127.0.0.1.
    const stale = reachable((await cli(['doctor', '--json'], { ...env, WXCOZE_HOST: '0.0.0.0' })).stdout);
    assert.equal(stale.ok, false);
    assert.match(
      stale.detail,
      /listens on 127\.0\.0\.1 only: it was started before WXCOZE_HOST=0\.0\.0\.0 was set/,
    );
    assert.match(stale.fix!, /wxcoze stop && wxcoze start --daemon/);
  } finally {
    await cli(['stop'], env);
  }
});
