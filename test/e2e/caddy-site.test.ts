/**
 * The Caddy site is the one file wxcoze writes that others must read: Debian's Caddy runs as its own
 * user. init puts it beside the system Caddyfile, 0644 (despite wxcoze's 077 umask), imports it, and
 * doctor says when Caddy cannot read it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

const mode = (p: string) => statSync(p).mode & 0o777;

test('init puts the site for the system Caddy beside its Caddyfile, readable by Caddy (0644), and imports it', async () => {
  const etc = join(tempDir('wxcoze-etc-caddy-'), 'caddy');
  mkdirSync(etc);
  const main = join(etc, 'Caddyfile');
  writeFileSync(main, ':80 {\n\tfile_server\n}\n');
  // A stand-in for the caddy binary: this test must not reload a Caddy that may run on this machine.
  const bin = join(etc, 'fake-caddy.sh');
  writeFileSync(
    bin,
    '#!/bin/sh\ncase "$1" in version) echo v2.6.2;; validate) echo Valid configuration;; reload) exit 0;; esac\n',
    { mode: 0o755 },
  );
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir, WXCOZE_CADDY_MAIN: main, WXCOZE_CADDY_BIN: bin });
  const flags = initFlags(f, await freePort(), ['--domain', 'kf.example.com']).filter(
    (a) => a !== '--no-caddy-reload',
  );
  const r = await cli(flags, env);
  assert.equal(r.exitCode, 0, r.out);
  const site = join(etc, 'sites', 'wxcoze.caddy');
  assert.equal(mode(site), 0o644);
  assert.equal(mode(join(etc, 'sites')), 0o755);
  assert.match(readFileSync(site, 'utf8'), /kf\.example\.com \{/);
  assert.match(
    readFileSync(main, 'utf8'),
    new RegExp(`\\nimport ${site.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`),
  );
  assert.ok(!existsSync(join(dataDir, 'Caddyfile')), 'no copy left in the private data directory');
  assert.match(r.out, /Caddy: added to/);
  chmodSync(site, 0o600);
  const d = await cli(['doctor', '--json'], env);
  const check = (
    JSON.parse(d.stdout) as { checks: { title: string; ok: boolean; detail: string; fix?: string }[] }
  ).checks.find((c) => /owner only/.test(c.title))!;
  assert.equal(check.ok, false);
  assert.match(check.detail, /wxcoze\.caddy is 600, so Caddy's own user cannot read it/);
});
