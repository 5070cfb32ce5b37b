/**
 * How WeCom reaches the server: init offers a domain (Caddy in front) or all interfaces on a port and
 * writes what it says; doctor fails when wxcoze listens on loopback only with nothing in front.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
const dirs: string[] = [];
before(async () => { f = await startFakes(); });
after(async () => {
  for (const d of dirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await f.close();
});

interface Check { ok: boolean; title: string; detail: string; fix?: string; skipped?: boolean }
const config = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;
const reachable = (stdout: string) => (JSON.parse(stdout) as { checks: Check[] }).checks.find((c) => c.title === 'WeCom can reach this server')!;

test('init --yes --host 0.0.0.0 (no domain): writes WXCOZE_HOST=0.0.0.0, prints http://<address>:<port>/wechat/hook and the firewall note', async () => {
  const dataDir = tempDir();
  const port = await freePort();
  const r = await cli(initFlags(f, port, ['--host', '0.0.0.0']), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.equal(r.exitCode, 0, r.out);
  const values = config(dataDir);
  assert.equal(values.WXCOZE_HOST, '0.0.0.0');
  assert.equal(values.WXCOZE_DOMAIN, undefined);
  assert.equal(values.PORT, String(port));
  assert.match(r.out, new RegExp(`URL +http://[^\\s/]+:${port}/wechat/hook`));
  assert.match(r.out, new RegExp(`WeCom must reach port ${port} from the internet: open ${port}/tcp in this server's firewall \\(\`sudo ufw allow ${port}/tcp\`\\) and in the cloud provider's security group`));
  assert.doesNotMatch(r.out, /WeCom cannot reach/);
});

test('init --yes with neither a domain nor --host: the config is written, but init says WeCom cannot reach it and what to pass', async () => {
  const dataDir = tempDir();
  const r = await cli(initFlags(f, await freePort()), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(config(dataDir).WXCOZE_HOST, undefined);
  assert.match(r.out, /✗ WeCom cannot reach this server: no domain is set and wxcoze listens on 127\.0\.0\.1 only\.\n\s+→ Run `wxcoze init --yes` again with --domain <domain> \(Caddy in front, HTTPS\) or with --host 0\.0\.0\.0/);
  assert.match(r.out, /1 setup step left/);
});

test('init --yes --domain: Caddy in front, wxcoze stays on 127.0.0.1 (no WXCOZE_HOST written)', async () => {
  const dataDir = tempDir();
  const r = await cli(initFlags(f, await freePort(), ['--domain', 'kf.example.com']), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(config(dataDir).WXCOZE_HOST, undefined);
  assert.equal(config(dataDir).WXCOZE_DOMAIN, 'kf.example.com');
  assert.doesNotMatch(r.out, /WeCom cannot reach/);
});

test('doctor plays WeCom\'s check on the running server, and fails when it still listens on loopback after WXCOZE_HOST changed', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const port = await freePort();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, port), env)).exitCode, 0);
  const stopped = reachable((await cli(['doctor', '--json'], env)).stdout);
  assert.equal(stopped.ok, false);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  try {
    // A proxy of the user's own in front (--url): the static part passes, WeCom's check is played locally.
    const url = `http://127.0.0.1:${port}/wechat/hook`;
    const ok = await cli(['doctor', '--url', url], env);
    assert.match(ok.out, new RegExp(`✓ WeCom can reach this server: WeCom calls ${url.replace(/[.]/g, '\\.')}; the proxy in front forwards to 127\\.0\\.0\\.1:${port}\\. WeCom's URL check passed on http://127\\.0\\.0\\.1:${port}/wechat/hook`));
    assert.equal(ok.exitCode, 0, ok.out);
    assert.match(ok.out, /Everything checked is in order/);

    // WXCOZE_HOST=0.0.0.0 now, but the server running was started before: it still listens on 127.0.0.1.
    const stale = reachable((await cli(['doctor', '--json'], { ...env, WXCOZE_HOST: '0.0.0.0' })).stdout);
    assert.equal(stale.ok, false);
    assert.match(stale.detail, /listens on 127\.0\.0\.1 only: it was started before WXCOZE_HOST=0\.0\.0\.0 was set/);
    assert.match(stale.fix!, /wxcoze stop && wxcoze start --daemon/);
  } finally {
    await cli(['stop'], env);
  }
});
