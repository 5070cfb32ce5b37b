/**
 * Debian's Caddy (2.6) on the Caddyfile `init` rendered (tls internal, high ports, storage in a temp
 * folder, admin off): `wxcoze verify` passes through it over HTTPS, then names "proxy" once the server stops.
 */
import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspectTls } from '../../src/cli/lib/callback-verify.js';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { requireTool } from '../helpers/requirements.js';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, waitFor, type Fakes } from './helpers.js';

let f: Fakes;
let caddy: ResultPromise | undefined;
let dataDir = '';
before(async () => {
  f = await startFakes();
});
after(async () => {
  if (caddy) {
    caddy.kill('SIGKILL');
    await caddy.catch(() => {});
  }
  const pid = dataDir ? readPid(dataDir) : undefined;
  if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  await f.close();
});

test(
  'verify passes through Caddy over HTTPS, and names the proxy step when wxcoze is stopped',
  { skip: requireTool('caddy') },
  async () => {
    dataDir = tempDir();
    const storage = tempDir('wxcoze-caddy-');
    const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
    const [port, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const init = await cli(
      initFlags(f, port, [
        '--domain',
        'wxcoze.test',
        '--tls',
        'internal',
        '--https-port',
        String(httpsPort),
        '--http-port',
        String(httpPort),
        '--caddy-storage',
        storage,
        '--caddy-admin',
        'off',
      ]),
      env,
    );
    assert.equal(init.exitCode, 0, init.out);
    assert.match(init.out, /Caddy v?2\.\d[^\n]* validated it/);
    const caddyfile = join(dataDir, 'Caddyfile');
    assert.match(
      readFileSync(caddyfile, 'utf8'),
      /wxcoze\.test \{\n\ttls internal\n\trespond \/metrics\* 404\n\treverse_proxy 127\.0\.0\.1:\d+\n\}/,
    );

    caddy = execa('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
      env: { PATH: process.env.PATH ?? '', HOME: storage, XDG_DATA_HOME: storage, XDG_CONFIG_HOME: storage },
      extendEnv: false,
      reject: false,
      all: true,
    });
    let caddyOut = '';
    caddy.all?.on('data', (d) => {
      caddyOut += d;
    });
    const rootCrt = join(storage, 'pki', 'authorities', 'local', 'root.crt');
    // Caddy issues the internal certificate shortly after it starts.
    await waitFor(
      `Caddy serving wxcoze.test on ${httpsPort}\n${caddyOut}`,
      async () =>
        existsSync(rootCrt) &&
        Boolean(
          (await inspectTls('wxcoze.test', '127.0.0.1', httpsPort, { caFile: rootCrt, timeoutMs: 1000 })).cert
            ?.authorized,
        ),
      20_000,
      200,
    );

    const started = await cli(['start', '--daemon'], env);
    assert.equal(started.exitCode, 0, started.out);
    const net = [
      '--url',
      `https://wxcoze.test:${httpsPort}`,
      '--ca-file',
      rootCrt,
      '--resolve',
      `wxcoze.test:${httpsPort}:127.0.0.1`,
    ];
    const ok = await cli(['verify', ...net], env);
    assert.equal(ok.exitCode, 0, ok.out);
    assert.match(
      ok.out,
      new RegExp(`public URL \\(what WeCom calls\\)  https://wxcoze\\.test:${httpsPort}/wechat/hook`),
    );
    for (const step of ['dns', 'connect', 'tls', 'proxy', 'status', 'signature', 'decryption', 'body'])
      assert.match(ok.out, new RegExp(`✓ ${step} `), step);

    // Behind Caddy every request reaches wxcoze from loopback, which /metrics trusts: Caddy must not
    // publish it. wxcoze itself serves it on loopback; /readyz goes through.
    const viaCaddy = (path: string) =>
      new Promise<number>((resolve, reject) => {
        httpsGet(
          {
            host: '127.0.0.1',
            port: httpsPort,
            path,
            servername: 'wxcoze.test',
            headers: { host: `wxcoze.test:${httpsPort}` },
            ca: readFileSync(rootCrt),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        ).on('error', reject);
      });
    assert.equal(await viaCaddy('/metrics'), 404, '/metrics is not published through Caddy');
    assert.equal(await viaCaddy('/metrics/'), 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200, 'served on loopback');
    assert.equal(await viaCaddy('/readyz'), 200, '/readyz is reachable through Caddy');

    // Without Caddy's CA the certificate is not trusted: the tls step says so.
    const untrusted = await cli(
      [
        'verify',
        '--url',
        `https://wxcoze.test:${httpsPort}`,
        '--resolve',
        `wxcoze.test:${httpsPort}:127.0.0.1`,
      ],
      env,
    );
    assert.equal(untrusted.exitCode, 1);
    assert.match(untrusted.out, /✗ tls +certificate for wxcoze\.test .*not trusted/);

    assert.equal((await cli(['stop'], env)).exitCode, 0);
    const down = await cli(['verify', ...net], env);
    assert.equal(down.exitCode, 1, down.out);
    assert.match(
      down.out,
      /✗ proxy +Caddy answered HTTP 502: it could not reach wxcoze behind it\.\n +→ Start wxcoze/,
    );
    assert.match(down.out, /failed at step "proxy"/);
    assert.match(down.out, /✗ connect +127\.0\.0\.1:\d+ refused the connection\.\n +→ wxcoze is not running/);
  },
);
