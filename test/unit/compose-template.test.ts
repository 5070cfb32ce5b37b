/**
 * No Docker engine runs in CI, so the compose file's wiring is checked by reading it: every
 * variable wxcoze reads is one it knows, the URLs point at the services that exist, health
 * checks gate start order, state lives in volumes, and Caddy balances over every instance.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ALIASES } from '../../src/config/aliases.js';
import { SERVER_ENV, SERVER_V8_FLAGS } from '../../src/server/v8-flags.js';

const root = join(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(root, 'templates/docker-compose.yml'), 'utf8'), {
  merge: true,
}) as any;
const services = compose.services as Record<string, any>;
const wxcoze = Object.entries(services).filter(([name]) => name.startsWith('wxcoze-'));
const known = new Set(Object.entries(ALIASES).flatMap(([k, v]) => [k, ...v]));

test('at least two wxcoze instances, built from the project Dockerfile, with their own data volumes', () => {
  assert.ok(wxcoze.length >= 2);
  for (const [name, s] of wxcoze) {
    assert.equal(s.build.dockerfile, 'templates/Dockerfile', name);
    const vol = String(s.volumes[0]).split(':')[0]!;
    assert.ok(vol in compose.volumes, `${name}: volume ${vol} declared`);
  }
  const vols = wxcoze.map(([, s]) => s.volumes[0]);
  assert.equal(new Set(vols).size, vols.length, 'instances do not share a data volume');
});

test('every variable given to wxcoze is one its configuration reads', () => {
  for (const [name, s] of wxcoze)
    for (const key of Object.keys(s.environment))
      assert.ok(known.has(key), `${name}: unknown variable ${key}`);
});

test('the database and Redis URLs point at the services and database that exist', () => {
  const db = services.mariadb.environment;
  for (const [name, s] of wxcoze) {
    const dbUrl = new URL(s.environment.WXCOZE_DATABASE_URL.replace(/\$\{[^}]+\}/, 'pw'));
    assert.equal(dbUrl.protocol, 'mysql:');
    assert.ok(dbUrl.hostname in services, `${name}: database host ${dbUrl.hostname} is a service`);
    assert.equal(dbUrl.pathname.slice(1), db.MARIADB_DATABASE);
    assert.equal(dbUrl.username, db.MARIADB_USER);
    const redisUrl = new URL(s.environment.WXCOZE_REDIS_URL);
    assert.ok(redisUrl.hostname in services, `${name}: redis host ${redisUrl.hostname} is a service`);
    assert.equal(s.environment.WXCOZE_HOST, '0.0.0.0', 'listens beyond the container');
  }
});

test('health checks gate the start order', () => {
  for (const svc of ['mariadb', 'redis', ...wxcoze.map(([n]) => n)])
    assert.ok(services[svc].healthcheck?.test, `${svc} has a health check`);
  for (const [name, s] of wxcoze) {
    assert.equal(s.depends_on.mariadb.condition, 'service_healthy', name);
    assert.equal(s.depends_on.redis.condition, 'service_healthy', name);
    // Healthy means ready: the database and Redis answer, the instance is not stopping.
    assert.match(s.healthcheck.test.join(' '), /\/readyz/);
  }
  for (const [name] of wxcoze) assert.equal(services.caddy.depends_on[name].condition, 'service_healthy');
  assert.ok(
    services.mariadb.volumes.some((v: string) => v.endsWith(':/var/lib/mysql')),
    'database state in a volume',
  );
});

test("Caddy's site balances over every instance on the port they listen on, with health checks", () => {
  const mount = services.caddy.volumes.find((v: string) => v.endsWith(':/etc/caddy/Caddyfile:ro'));
  const caddyfile = readFileSync(join(root, 'templates', mount.split(':')[0]), 'utf8');
  const upstreams = /reverse_proxy\s+([^{]+)\{/.exec(caddyfile)![1]!.trim().split(/\s+/);
  assert.deepEqual(upstreams.sort(), wxcoze.map(([n, s]) => `${n}:${s.environment.PORT}`).sort());
  assert.match(caddyfile, /health_uri \/readyz/);
  // Behind Caddy every request comes from inside: /metrics must not be published.
  assert.match(caddyfile, /^\s*respond \/metrics\* 404$/m);
  assert.deepEqual(services.caddy.ports.sort(), ['443:443', '80:80']);
});

test('the Dockerfile exposes the port the compose file uses and starts the server', () => {
  const dockerfile = readFileSync(join(root, 'templates/Dockerfile'), 'utf8');
  assert.match(dockerfile, /^EXPOSE 8000$/m);
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)![1]!;
  const argv = JSON.parse(cmd) as string[];
  assert.deepEqual(argv.slice(-2), ['bin/wxcoze.js', 'start']);
  assert.deepEqual(
    argv.slice(1, -2),
    SERVER_V8_FLAGS,
    'the same heap flags as the systemd unit and start --daemon',
  );
  // And the same malloc settings, which glibc reads from the environment when node starts.
  const env = Object.fromEntries(
    [...dockerfile.matchAll(/^ENV (.+)$/gm)].flatMap((m) => m[1]!.split(/\s+/).map((kv) => kv.split('='))),
  );
  for (const [k, v] of Object.entries(SERVER_ENV)) assert.equal(env[k], v, `the Dockerfile sets ${k}`);
  assert.match(dockerfile, /npm ci/);
  assert.match(dockerfile, /FROM node:20/);
});

test('the Dockerfile copies everything the published package holds (package.json files), dist/ being built in the image', () => {
  const dockerfile = readFileSync(join(root, 'templates/Dockerfile'), 'utf8');
  const files = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] }).files;
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  for (const f of files.filter((f) => f !== 'dist'))
    assert.ok(copied.includes(f), `the Dockerfile copies ${f}`);
});
