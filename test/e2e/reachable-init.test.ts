/**
 * How WeCom reaches the server: init offers a domain (Caddy in front) or all interfaces on a port and
 * writes what it says (the interactive choice: init-pty.test.ts; doctor: reachable.test.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

const config = (dataDir: string) =>
  JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;

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
  assert.match(
    r.out,
    new RegExp(
      `WeCom must reach port ${port} from the internet: open ${port}/tcp in this server's firewall \\(\`sudo ufw allow ${port}/tcp\`\\) and in the cloud provider's security group`,
    ),
  );
  assert.doesNotMatch(r.out, /WeCom cannot reach/);
});

test('init --yes with neither a domain nor --host: the config is written, but init says WeCom cannot reach it and what to pass', async () => {
  const dataDir = tempDir();
  const r = await cli(initFlags(f, await freePort()), baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(config(dataDir).WXCOZE_HOST, undefined);
  assert.match(
    r.out,
    /✗ WeCom cannot reach this server: no domain is set and wxcoze listens on 127\.0\.0\.1 only\.\n\s+→ Run `wxcoze init --yes` again with --domain <domain> \(Caddy in front, HTTPS\) or with --host 0\.0\.0\.0/,
  );
  assert.match(r.out, /1 setup step left/);
});

test('init --yes --domain: Caddy in front, wxcoze stays on 127.0.0.1 (no WXCOZE_HOST written)', async () => {
  const dataDir = tempDir();
  const r = await cli(
    initFlags(f, await freePort(), ['--domain', 'kf.example.com']),
    baseEnv({ WXCOZE_DATA_DIR: dataDir }),
  );
  assert.equal(r.exitCode, 0, r.out);
  assert.equal(config(dataDir).WXCOZE_HOST, undefined);
  assert.equal(config(dataDir).WXCOZE_DOMAIN, 'kf.example.com');
  assert.doesNotMatch(r.out, /WeCom cannot reach/);
});
