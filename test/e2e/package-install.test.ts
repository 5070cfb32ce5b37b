/**
 * The user's real path, on a machine that never cloned the repo and cannot reach GitHub: the
 * packed wxcoze installed with npm from a registry mirror into npx's cache layout, better-sqlite3's
 * prebuilt binary coming from the binary mirror the README names (here both on 127.0.0.1, see
 * test/helpers/local-registry.ts). Then, from that install: `wxcoze demo` answers the customer,
 * and `wxcoze init` writes a unit that still starts after npm prunes npx's cache.
 *
 * Packs a copy of the project (so its own dist/ is built by the pack, as for publishing), and
 * installs from npm's cache, which `npm ci` filled: ~1 minute, no internet.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { startLocalRegistry, type LocalRegistry, type Manifest } from '../helpers/local-registry.js';
import { NPM_ENV, packProject, prebuiltSqlite } from '../helpers/pack-project.js';
import { spawnUnit, unitCommand, verifyUnit } from '../helpers/systemd-unit.js';
import { baseEnv, freePort, initFlags, ROOT, startFakes, tempDir, waitFor, type Fakes } from './helpers.js';

/** What the public registry offers beyond our lock: the newest light-my-request needs cookie 2, which needs Node 22. */
const NEWER: Manifest[] = [
  {
    name: 'light-my-request',
    version: '6.8.1',
    dependencies: {
      '@fastify/deepmerge': '^3.1.0',
      cookie: '^2.0.0',
      'process-warning': '^5.0.0',
      'set-cookie-parser': '^3.0.1',
    },
  },
  { name: '@fastify/deepmerge', version: '3.1.0' },
  { name: 'cookie', version: '2.0.2', engines: { node: '>=22' } },
];

let work: string;
let tarball: string;
let packageJson: Manifest;
let registry: LocalRegistry;
let binaryPath: string;
let fakes: Fakes;

before(async () => {
  work = tempDir('wxcoze-pkg-');
  // A copy of the project without dist/: the pack must build it (prepare), as `npm publish` does.
  const packed = await packProject(ROOT, work);
  tarball = packed.tarball;
  packageJson = packed.packageJson;
  for (const need of [
    'bin/wxcoze.js',
    'dist/cli/index.js',
    'dist/server/start-server.js',
    'templates/wxcoze.service',
    'templates/Caddyfile',
  ])
    assert.ok(packed.files.includes(need), `the tarball holds ${need}`);
  assert.ok(
    !packed.files.some((f) => f.startsWith('src/') || f.startsWith('test/')),
    'no sources or tests in the tarball',
  );
  // better-sqlite3's prebuilt binary in prebuild-install's file name and layout, from the one npm ci installed.
  binaryPath = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  registry = await startLocalRegistry({
    root: ROOT,
    tarball,
    packageJson,
    binaries: await prebuiltSqlite(ROOT, work),
    newer: NEWER,
  });
  fakes = await startFakes();
});

/**
 * `npm install wxcoze` as the README says to where GitHub is unreachable: the registry mirror in
 * the user's npm config, the binary mirror in the environment. A fallback compile fails at once
 * (nodedir without Node headers) instead of downloading headers.
 */
async function npmInstall(prefix: string, binaryMirror: string) {
  const npmrc = join(work, 'npmrc');
  writeFileSync(npmrc, `registry=${registry.url}\n`);
  const noHeaders = join(work, 'no-node-headers');
  mkdirSync(noHeaders, { recursive: true });
  return execa('npm', ['install', '--prefer-offline', '--prefix', prefix, `wxcoze@${packageJson.version}`], {
    env: {
      ...process.env,
      ...NPM_ENV,
      npm_config_userconfig: npmrc,
      npm_config_better_sqlite3_binary_host_mirror: binaryMirror,
      npm_config_nodedir: noHeaders,
    },
    reject: false,
    all: true,
    timeout: 300_000,
  });
}

after(async () => {
  await registry?.close();
  await fakes?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  "the packed wxcoze installs from a registry mirror with the binary mirror, cleanly on Node 20, and its demo answers; its unit outlives npx's cache",
  { timeout: 600_000 },
  async (t) => {
    // npx's layout: ~/.npm/_npx/<hash>/node_modules/wxcoze.
    const prefix = join(work, 'home/.npm/_npx/5e3b1a2c9d0f4e67');
    mkdirSync(prefix, { recursive: true });
    const install = await npmInstall(prefix, registry.binaryMirror);
    const out = String(install.all);
    assert.doesNotMatch(out, /EBADENGINE/, 'no engine warning on Node 20');
    assert.equal(install.exitCode, 0, `install failed:\n${out}\nrequests:\n${registry.requests.join('\n')}`);

    // The binary came from the mirror, unchanged, and nothing was compiled.
    const asked = registry.requests.filter((r) => r.includes('/-/binary/better-sqlite3/'));
    assert.equal(asked.length, 1, `one request to the binary mirror:\n${registry.requests.join('\n')}`);
    const installed = join(prefix, 'node_modules/better-sqlite3/build');
    assert.deepEqual(readFileSync(join(installed, 'Release/better_sqlite3.node')), readFileSync(binaryPath));
    assert.ok(!existsSync(join(installed, 'config.gypi')), 'node-gyp did not run');
    assert.equal(
      JSON.parse(readFileSync(join(prefix, 'node_modules/light-my-request/package.json'), 'utf8')).version,
      '6.6.0',
    );

    const wxcoze = join(prefix, 'node_modules/wxcoze/bin/wxcoze.js');
    const demo = await execa(process.execPath, [wxcoze, 'demo'], {
      cwd: work,
      env: baseEnv(),
      reject: false,
      all: true,
      timeout: 120_000,
    });
    assert.equal(demo.exitCode, 0, String(demo.all));
    assert.match(String(demo.all), /客服: 您好！我们每天 9:00–21:00 营业/);
    assert.match(String(demo.all), /3 customer messages, 3 replies/);

    // init from npx's cache copies wxcoze under the data directory and points the unit there.
    const dataDir = join(work, 'data');
    const port = await freePort();
    const init = await execa(process.execPath, [wxcoze, ...initFlags(fakes, port)], {
      cwd: work,
      env: baseEnv({ WXCOZE_DATA_DIR: dataDir }),
      reject: false,
      all: true,
      timeout: 120_000,
    });
    assert.equal(init.exitCode, 0, String(init.all));
    assert.match(String(init.all), new RegExp(`copied to ${join(dataDir, 'app', packageJson.version)}`));
    const unitFile = join(dataDir, 'wxcoze.service');
    const unit = readFileSync(unitFile, 'utf8');
    assert.equal(
      unitCommand(unit).argv.at(-2),
      join(dataDir, 'app', packageJson.version, 'node_modules/wxcoze/bin/wxcoze.js'),
    );

    rmSync(join(work, 'home/.npm/_npx'), { recursive: true, force: true }); // what npm's cache cleaning does
    const { child, output } = spawnUnit(unit, baseEnv());
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        "the unit's server answers /ping",
        async () => (await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined))?.ok,
        30_000,
        200,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${output()}`);
      });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output());

    // Without better-sqlite3's native part (an install that could neither download nor compile it),
    // doctor and start say so and lead to the README section about mirrors and compilers.
    const copy = join(dataDir, 'app', packageJson.version);
    rmSync(join(copy, 'node_modules/better-sqlite3/build'), { recursive: true, force: true });
    const launcher = join(copy, 'node_modules/wxcoze/bin/wxcoze.js');
    for (const args of [['doctor'], ['start'], ['demo']]) {
      const r = await execa(process.execPath, [launcher, ...args], {
        cwd: work,
        env: baseEnv({ WXCOZE_DATA_DIR: dataDir }),
        reject: false,
        all: true,
        timeout: 60_000,
      });
      assert.equal(r.exitCode, 1, String(r.all));
      assert.match(String(r.all), /SQLite driver \(better-sqlite3's native part\) does not load/, args[0]);
      assert.match(
        String(r.all),
        /npm_config_better_sqlite3_binary_host_mirror=https:\/\/registry\.npmmirror\.com\/-\/binary\/better-sqlite3 npm rebuild better-sqlite3/,
        args[0],
      );
      assert.match(String(r.all), /README section "Installing where GitHub is unreachable"/, args[0]);
      assert.ok(
        String(r.all).includes(`cd ${copy} && npm_config_better_sqlite3_binary_host_mirror=`),
        `${args[0]} names the folder to rebuild in`,
      );
    }
    // The printed command, with the local mirror, brings it back.
    const rebuild = await execa('npm', ['rebuild', 'better-sqlite3'], {
      cwd: copy,
      env: {
        ...process.env,
        ...NPM_ENV,
        npm_config_better_sqlite3_binary_host_mirror: registry.binaryMirror,
      },
      reject: false,
      all: true,
      timeout: 120_000,
    });
    assert.equal(rebuild.exitCode, 0, String(rebuild.all));
    const doctor = await execa(process.execPath, [launcher, 'doctor', '--json'], {
      cwd: work,
      env: baseEnv({ WXCOZE_DATA_DIR: dataDir }),
      reject: false,
      all: true,
      timeout: 60_000,
    });
    const store = (
      JSON.parse(String(doctor.stdout)) as { checks: { title: string; ok: boolean; detail: string }[] }
    ).checks.find((c) => c.title === 'store reachable');
    assert.ok(store?.ok, `store check after the rebuild: ${JSON.stringify(store)}\n${String(doctor.all)}`);

    const v = await verifyUnit(unitFile);
    if ('skipped' in v) {
      console.error(`SKIPPED: ${v.skipped}`);
      t.skip(v.skipped);
      return;
    }
    assert.ok(v.ok, `systemd-analyze verify:\n${v.output}`);
  },
);

test(
  "an install that can neither download nor compile SQLite's native part ends with what to do, not only gyp errors",
  { timeout: 300_000 },
  async () => {
    const prefix = join(work, 'no-binary');
    mkdirSync(prefix, { recursive: true });
    const install = await npmInstall(prefix, `${registry.url}-/binary/nowhere`);
    const out = String(install.all);
    assert.notEqual(install.exitCode, 0, out);
    assert.match(out, /wxcoze: the SQLite driver \(better-sqlite3's native part\) does not load/);
    assert.match(out, /npm could neither download it \(from GitHub\) nor compile it/);
    assert.match(
      out,
      /npm_config_better_sqlite3_binary_host_mirror=https:\/\/registry\.npmmirror\.com\/-\/binary\/better-sqlite3/,
    );
    assert.match(out, /python3, make and g\+\+/);
    assert.match(out, /README section "Installing where GitHub is unreachable"/);
  },
);
