/**
 * `wxcoze update` as a user runs it, with no internet: the packed wxcoze installed globally into a
 * temporary prefix (dependencies from npm's cache through a registry on 127.0.0.1, SQLite's binary
 * from a local mirror), running as a daemon against the fakes; then updated from a local tarball
 * of another version (it comes up and answers), then "updated" to a tarball whose server dies at
 * start (rolled back: the previous version answers again, with its data).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { startLocalRegistry, type LocalRegistry } from '../helpers/local-registry.js';
import { NPM_ENV, packProject, prebuiltSqlite, variantTarball } from '../helpers/pack-project.js';
import {
  baseEnv,
  BOT_ID,
  COZE_TOKEN,
  freePort,
  KF,
  ROOT,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
} from './helpers.js';

let work: string;
let tarball: string;
let version: string;
let registry: LocalRegistry;
let fakes: Fakes;

before(async () => {
  work = tempDir('wxcoze-update-');
  const packed = await packProject(ROOT, work);
  tarball = packed.tarball;
  version = packed.packageJson.version;
  registry = await startLocalRegistry({
    root: ROOT,
    tarball,
    packageJson: packed.packageJson,
    binaries: await prebuiltSqlite(ROOT, work),
  });
  fakes = await startFakes();
});

after(async () => {
  await registry?.close();
  await fakes?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(
  'update from one local tarball to another: the new version runs and answers; a tarball whose server dies at start is rolled back to the previous version and its data',
  { timeout: 1_200_000 },
  async () => {
    const next = await variantTarball(tarball, work, `${version}-next.1`);
    const broken = await variantTarball(tarball, work, `${version}-broken.1`, {
      // The server's entry throws as it starts: the daemon exits before it is ready.
      'dist/server/start-server.js':
        "export async function startServer() {\n  throw new Error('this build cannot start (broken on purpose by the test)');\n}\n",
    });

    // npm as the README's mainland-China setup has it: a registry mirror, a binary mirror, no compiler.
    const npmrc = join(work, 'npmrc');
    writeFileSync(npmrc, `registry=${registry.url}\n`);
    const noHeaders = join(work, 'no-node-headers');
    mkdirSync(noHeaders, { recursive: true });
    const prefix = join(work, 'prefix');
    const dataDir = join(work, 'data');
    const port = await freePort();
    const env = baseEnv({
      ...NPM_ENV,
      npm_config_userconfig: npmrc,
      npm_config_better_sqlite3_binary_host_mirror: registry.binaryMirror,
      npm_config_nodedir: noHeaders,
      npm_config_prefer_offline: 'true',
      WXCOZE_DATA_DIR: dataDir,
      WECOM_CORP_ID: fakes.wecom.corpId,
      WECOM_SECRET: fakes.wecom.secret,
      WECOM_TOKEN: fakes.wecom.callbackToken,
      WECOM_ENCODING_AES_KEY: fakes.wecom.encodingAesKey,
      WECOM_API_BASE: fakes.wecom.url,
      COZE_API_BASE: fakes.coze.url,
      COZE_API_TOKEN: COZE_TOKEN,
      COZE_BOT_ID: BOT_ID,
      PORT: String(port),
    });
    const installed = join(prefix, 'lib/node_modules/wxcoze');
    const wxcoze = (args: string[], timeout = 600_000) =>
      execa(process.execPath, [join(installed, 'bin/wxcoze.js'), ...args], {
        env,
        extendEnv: false,
        cwd: work,
        reject: false,
        all: true,
        timeout,
      });
    const status = async () =>
      JSON.parse(String((await wxcoze(['status', '--json'], 60_000)).stdout)) as {
        running: boolean;
        pid?: number;
        runningVersion?: string;
        messages?: { last24h: { done: number } };
      };
    const installedVersion = () =>
      (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string }).version;
    fakes.wecom.setCallbackUrl(`http://127.0.0.1:${port}/wechat/hook`);
    const answered = async (customer: string, text: string) => {
      await fakes.wecom.customerSends(KF, customer, { text });
      await waitFor(`an answer to ${customer}`, () => fakes.wecom.sentTo(customer).length > 0, 60_000, 200);
    };

    const install = await execa('npm', ['install', '--global', '--prefix', prefix, tarball], {
      env,
      extendEnv: false,
      reject: false,
      all: true,
      timeout: 600_000,
    });
    assert.equal(install.exitCode, 0, String(install.all));
    const start = await wxcoze(['start', '--daemon'], 60_000);
    assert.equal(start.exitCode, 0, String(start.all));
    try {
      await answered('wmUpdateBefore', '更新之前');
      const old = await status();

      // 1. To the next version: every stage passes, a new process of the new version answers.
      const up = await wxcoze(['update', next]);
      const upOut = String(up.all);
      assert.equal(up.exitCode, 0, upOut);
      for (const stage of [
        '[1/6] check',
        '[2/6] backup',
        '[3/6] install',
        '[4/6] migrate',
        '[5/6] restart',
        '[6/6] ready',
      ])
        assert.ok(upOut.includes(stage), `${stage} printed:\n${upOut}`);
      assert.match(upOut, new RegExp(`installed globally in ${prefix}, runs as a daemon`));
      assert.match(
        upOut,
        new RegExp(
          `wxcoze ${version} kept as ${dataDir}/backups/update-[0-9-]+-from-${version}/wxcoze-${version}\\.tgz`,
        ),
      );
      assert.match(upOut, /database copied to .*\/wxcoze\.db/);
      assert.match(
        upOut,
        new RegExp(`wxcoze ${version}-next\\.1 answers /(readyz|ping) at http://127\\.0\\.0\\.1:${port}`),
      );
      assert.match(upOut, new RegExp(`Updated ${version} → ${version}-next\\.1`));
      assert.equal(installedVersion(), `${version}-next.1`);
      const now = await status();
      assert.equal(now.runningVersion, `${version}-next.1`);
      assert.notEqual(now.pid, old.pid, 'a new process');
      await answered('wmUpdateAfter', '更新之后');
      const before = await status();

      // 2. To a build whose server dies at start: rolled back, the previous version answers again.
      const bad = await wxcoze(['update', broken]);
      const badOut = String(bad.all);
      assert.equal(bad.exitCode, 1, badOut);
      assert.match(badOut, /restart failed: `node .*start --daemon.*` failed \(starting the daemon\)/);
      assert.match(badOut, /wxcoze did not start: it exited with code 1/);
      assert.match(badOut, /this build cannot start \(broken on purpose by the test\)/);
      assert.match(badOut, new RegExp(`wxcoze ${version}-next\\.1 installed again from `));
      assert.match(badOut, /data restored from /);
      assert.match(
        badOut,
        new RegExp(
          `The update to ${version}-broken\\.1 failed at "restart" and was rolled back: wxcoze ${version}-next\\.1 is running again, with its data as it was before the update\\.`,
        ),
      );
      assert.match(badOut, /`wxcoze logs` shows the server's log; `wxcoze doctor` checks the setup\./);
      assert.equal(installedVersion(), `${version}-next.1`);
      const back = await status();
      assert.equal(back.runningVersion, `${version}-next.1`);
      assert.equal(
        back.messages?.last24h.done,
        before.messages?.last24h.done,
        'the answered messages are all there',
      );
      assert.ok((back.messages?.last24h.done ?? 0) >= 2, JSON.stringify(back));
      await answered('wmAfterRollback', '回滚之后');
    } finally {
      await wxcoze(['stop'], 60_000);
    }
  },
);
