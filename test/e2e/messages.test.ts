/**
 * What the CLI prints when something is wrong (issue 9, "messages that confused"): each case says
 * what is wrong and what to do, through the real CLI as a user runs it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { freshDatabase, loudSkip, mysqlUnavailable, TEST_MYSQL_URL } from '../helpers/mysql.js';
import { baseEnv, BOT_ID, cli, CLI, COZE_TOKEN, freePort, initFlags, startFakes, tempDir, TSX, waitFor, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => { f = await startFakes(); });
after(async () => { await f.close(); });

/** A complete configuration in the environment only (no config.json), for commands that need one. */
const envConfig = (dataDir: string, extra: Record<string, string> = {}) => baseEnv({
  WXCOZE_DATA_DIR: dataDir, WECOM_CORP_ID: 'ww1436e0e65a779aee', WECOM_SECRET: 'kf-secret-abcdefghijklmnop-XYZ',
  WECOM_TOKEN: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo', WECOM_ENCODING_AES_KEY: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  WECOM_API_BASE: f.wecom.url, COZE_API_BASE: f.coze.url, COZE_API_TOKEN: COZE_TOKEN, COZE_BOT_ID: BOT_ID, PORT: '0', ...extra,
});

/** The CLI as a child we can signal (cli() waits for the exit). */
const spawnCli = (args: string[], env: Record<string, string>) =>
  execa(process.execPath, ['--import', TSX, CLI, ...args], { env, extendEnv: false, reject: false, all: true, cwd: tempDir() });

test('start in the foreground on a data directory it cannot write: the path, why, and what to do — no stack trace', async () => {
  const file = join(tempDir(), 'a-file');
  writeFileSync(file, 'not a folder');
  const dataDir = join(file, 'wxcoze');
  const r = await cli(['start'], envConfig(dataDir));
  assert.equal(r.exitCode, 1, r.out);
  assert.match(r.out, new RegExp(`cannot write in ${dataDir.replace(/[/.]/g, '\\$&')}: a part of this path is a file, not a folder \\(ENOTDIR\\)`));
  assert.match(r.out, /→ Choose a data directory .*--data-dir/);
  assert.doesNotMatch(r.out, /Unhandled 'error' event|SonicBoom|\n\s+at /);
});

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
/** The CLI as nobody (uid 65534): root reads and writes anything, whatever the modes say. */
const asNobody = async (args: string[], env: Record<string, string>) => {
  const home = tempDir();
  chmodSync(home, 0o777);
  const r = await execa(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', TSX, CLI, ...args], {
    env: { ...env, HOME: home }, extendEnv: false, reject: false, all: true, cwd: home,
  });
  return { exitCode: r.exitCode ?? -1, out: String(r.all ?? '') };
};
const asNobodySkip = process.getuid?.() !== 0 ? 'needs root to run the CLI as another user' : !setpriv ? loudSkip('permission tests', 'setpriv is not installed') : false;

test('a config.json this user may not read: "permission denied", not six "is not set" lines', { skip: asNobodySkip }, async () => {
  const dataDir = tempDir();
  chmodSync(dataDir, 0o755);
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ WECOM_CORP_ID: 'ww1436e0e65a779aee' }), { mode: 0o600 });
  const r = await asNobody(['doctor'], baseEnv({ WXCOZE_DATA_DIR: dataDir }));
  assert.match(r.out, /config\.json cannot be read: permission denied \(EACCES\)/, r.out);
  assert.match(r.out, /Run wxcoze as the user that owns it/);
  assert.doesNotMatch(r.out, /is not set/);
});

test('start in a data directory owned by someone else: permission denied, whose folder, what to do', { skip: asNobodySkip }, async () => {
  const dataDir = tempDir();
  chmodSync(dataDir, 0o755);
  const r = await asNobody(['start'], envConfig(dataDir));
  assert.equal(r.exitCode, 1, r.out);
  assert.match(r.out, new RegExp(`cannot write in ${dataDir}: permission denied \\(EACCES\\)`));
  assert.match(r.out, /→ Run wxcoze as the user that owns .*sudo chown -R/);
  assert.doesNotMatch(r.out, /Unhandled 'error' event|SonicBoom|\n\s+at /);
});

test('logs -f before anything ran says it is waiting for the log; verify without config says to run init', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const child = spawnCli(['logs', '-f'], env);
  let said = '';
  child.all!.on('data', (d: Buffer) => { said += d.toString(); });
  try {
    await waitFor('logs -f to explain its wait', () => /no log file at .*wxcoze\.log yet: waiting for wxcoze to write one/.test(said), 20_000);
    assert.match(said, /`wxcoze start`/);
  } finally {
    child.kill('SIGTERM');
    await child;
  }

  const v = await cli(['verify'], env);
  assert.equal(v.exitCode, 2);
  assert.match(v.out, /There is no configuration to verify: no .*config\.json and no WECOM_\* variables/);
  assert.match(v.out, /→ Run `wxcoze init` first/);
  assert.doesNotMatch(v.out, /cannot start/);
});

test('numeric options are checked: stop --timeout abc, logs -n abc and -n -3 are refused with what is expected', async () => {
  const env = baseEnv({ WXCOZE_DATA_DIR: tempDir() });
  for (const args of [['stop', '--timeout', 'abc'], ['logs', '-n', 'abc'], ['logs', '-n', '-3'], ['start', '--drain-ms', '1.5'], ['verify', '--timeout', '0']]) {
    const r = await cli(args, env);
    assert.notEqual(r.exitCode, 0, `${args.join(' ')} must fail`);
    assert.match(r.out, new RegExp(`argument '${args[2]!.replace('.', '\\.')}' is invalid\\. Use a whole number`), `${args.join(' ')}: ${r.out}`);
    assert.doesNotMatch(r.out, /still running after/);
  }
});

test('doctor: an unproven bot publication is a warning with the way to prove it, a chat proves it', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const r = await cli(['doctor'], env);
  assert.match(r.out, /! Coze bot: bot \d+ "[^"]*" found; not yet proven to be published to the API/);
  assert.match(r.out, /→ `wxcoze doctor --probe-chat` sends the bot one test message/);
  assert.doesNotMatch(r.out, /✓ Coze bot/);
  assert.match(r.out, /1 thing is not proven/);
  const proven = await cli(['doctor', '--probe-chat'], env);
  assert.match(proven.out, /✓ Coze bot: bot \d+ "[^"]*" is published to the API: it answered a test message/);
  const json = JSON.parse((await cli(['doctor', '--json'], env)).stdout) as { checks: { title: string; ok: boolean; warning?: boolean }[] };
  assert.deepEqual(json.checks.find((c) => c.title === 'Coze bot'), { ...json.checks.find((c) => c.title === 'Coze bot'), ok: true, warning: true });
});

test('init without Caddy: the missing Caddy is said once, as one step left', async () => {
  const dataDir = tempDir();
  const r = await cli(initFlags(f, await freePort(), ['--domain', 'kf.example.com']), baseEnv({ WXCOZE_DATA_DIR: dataDir, WXCOZE_CADDY_BIN: join(dataDir, 'no-caddy-here') }));
  assert.equal(r.exitCode, 0, r.out);
  const left = r.out.slice(r.out.indexOf('setup step'));
  assert.match(r.out, /1 setup step left/);
  assert.doesNotMatch(r.out, /left in the consoles/);
  assert.equal(left.match(/Caddy is not installed/g)?.length, 1, left);
  assert.equal(r.out.match(/sudo apt install caddy/g)?.length, 2, 'once when found missing, once in the steps left');
});

test('migrate-store refuses while wxcoze runs on the source', async () => {
  const dataDir = tempDir();
  // A live pid in the pid file: this test process stands in for the running server.
  writeFileSync(join(dataDir, 'wxcoze.pid'), `${process.pid}\n`);
  const r = await cli(['migrate-store', '--to', 'mysql://root@127.0.0.1:1/wxcoze', '--data-dir', dataDir], baseEnv({}));
  assert.equal(r.exitCode, 1);
  assert.match(r.out, new RegExp(`wxcoze is running on ${dataDir} \\(pid ${process.pid}\\)`));
  assert.match(r.out, new RegExp(`Stop it first \\(\`wxcoze --data-dir ${dataDir} stop\`\\)`));
});

const noMysql = await mysqlUnavailable();
test('migrate-store to a database that does not exist: how to create it, and nothing claimed as kept', { skip: noMysql ? loudSkip('migrate-store message test', noMysql) : false }, async () => {
  const dataDir = tempDir();
  const store = new SqliteStore(join(dataDir, 'wxcoze.db'));
  await store.migrate();
  await store.resolveUser('wecom', 'wmSomeone', 1);
  await store.close();
  const u = new URL(TEST_MYSQL_URL);
  u.pathname = '/wxcoze_never_created_9';
  const r = await cli(['migrate-store', '--to', u.toString(), '--data-dir', dataDir], baseEnv({}));
  assert.equal(r.exitCode, 1, r.out);
  assert.match(r.out, /the database mysql:\/\/.*\/wxcoze_never_created_9 does not exist/);
  assert.match(r.out, /CREATE DATABASE `wxcoze_never_created_9` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;/);
  assert.match(r.out, /Nothing was copied\./);
  assert.doesNotMatch(r.out, /already copied are kept/);
  // And a database that exists still copies (the message change did not break the path).
  const db = await freshDatabase();
  try {
    const ok = await cli(['migrate-store', '--to', db.url, '--data-dir', dataDir], baseEnv({}));
    assert.equal(ok.exitCode, 0, ok.out);
    assert.match(ok.out, /identities\s+1 rows read, 1 new/);
  } finally {
    await db.drop();
  }
});

test('users link refuses an identity nobody has; users list pages the known ones, newest first', async () => {
  const dataDir = tempDir();
  const store = new SqliteStore(join(dataDir, 'wxcoze.db'));
  await store.migrate();
  await store.resolveUser('wecom', 'wmFirst', 1000);
  await store.resolveUser('web', 'owui-second', 2000);
  await store.resolveUser('wecom', 'wmThird', 3000);
  await store.close();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });

  const r = await cli(['users', 'link', 'wecom:wmFirst', 'web:owui-typo'], env);
  assert.equal(r.exitCode, 1);
  assert.match(r.out, /web:owui-typo is unknown: nobody has written with this identity yet/);
  assert.match(r.out, /`wxcoze users list` shows the identities wxcoze knows/);
  const still = await cli(['users', 'show', 'web:owui-typo'], env);
  assert.equal(still.exitCode, 1, 'nothing was created');

  const page1 = await cli(['users', 'list', '--limit', '2'], env);
  assert.equal(page1.exitCode, 0, page1.out);
  assert.ok(page1.out.indexOf('wecom:wmThird') < page1.out.indexOf('web:owui-second'), 'newest first');
  assert.doesNotMatch(page1.out, /wmFirst/);
  assert.match(page1.out, /users 1–2 of 3, newest first; next page: `wxcoze users list --page 2 --limit 2`/);
  const page2 = await cli(['users', 'list', '--limit', '2', '--page', '2'], env);
  assert.match(page2.out, /wecom:wmFirst/);
  assert.match(page2.out, /users 3–3 of 3/);

  const linked = await cli(['users', 'link', 'wecom:wmFirst', 'web:owui-second'], env);
  assert.equal(linked.exitCode, 0, linked.out);
  const json = JSON.parse((await cli(['users', 'list', '--json'], env)).stdout) as { total: number; users: { identities: unknown[] }[] };
  assert.equal(json.total, 2, 'the merged user is gone');
  assert.ok(json.users.some((u) => u.identities.length === 2));
});

test('a wrong token on a custom Coze base: no console URL made from the API base', async () => {
  const r = await cli(initFlags(f, await freePort()).map((a) => (a === COZE_TOKEN ? 'pat_wrongTokenAbcdefghijklmnopqrstu' : a)), baseEnv({ WXCOZE_DATA_DIR: tempDir() }));
  assert.equal(r.exitCode, 1, r.out);
  assert.match(r.out, /Coze rejected the token/);
  assert.match(r.out, /custom API base, not coze\.cn or coze\.com/);
  assert.match(r.out, /https:\/\/www\.coze\.cn\/open\/oauth\/pats/);
  assert.doesNotMatch(r.out, /the Coze console\/open|127\.0\.0\.1:\d+\/open\/oauth/);
});

test('status when stopped does not claim a listening port; init --yes on a config does not speak of Enter', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  const st = await cli(['status'], env);
  assert.equal(st.exitCode, 3);
  assert.match(st.out, /○ not running/);
  assert.doesNotMatch(st.out, /listening/);
  const again = await cli(['init', '--yes', '--skip-checks', '--no-caddy'], env);
  assert.equal(again.exitCode, 0, again.out);
  assert.doesNotMatch(again.out, /Enter keeps/);
  assert.match(again.out, /updating the existing one/);
});

test('with --data-dir, every command printed as a next step carries it', async () => {
  const dataDir = join(tempDir(), 'shop one');
  const env = baseEnv({});
  const init = await cli(['--data-dir', dataDir, ...initFlags(f, await freePort())], env);
  assert.equal(init.exitCode, 0, init.out);
  const flag = `--data-dir '${dataDir}'`;
  for (const cmd of ['start --daemon', 'verify', 'doctor']) assert.ok(init.out.includes(`wxcoze ${flag} ${cmd}`), `init's next steps name ${cmd} with the flag:\n${init.out}`);
  assert.doesNotMatch(init.out, /\bwxcoze (start|verify|doctor)\b/, 'no follow-up without the flag');
  const st = await cli(['--data-dir', dataDir, 'status'], env);
  assert.match(st.out, new RegExp(`start it with \`wxcoze ${flag.replace(/[.*'()]/g, '\\$&')} start --daemon\``));
  const doctor = await cli(['--data-dir', dataDir, 'doctor'], env);
  assert.ok(doctor.out.includes(`\`wxcoze ${flag} doctor --probe-chat\``), doctor.out);
});

test('demo removes its temporary folder: after a normal run and after Ctrl-C', async () => {
  const tmp = tempDir();
  const env = baseEnv({ TMPDIR: tmp });
  const demos = () => readdirSync(tmp).filter((n) => n.startsWith('wxcoze-demo-'));
  const r = await cli(['demo'], env);
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual(demos(), []);

  const child = spawnCli(['demo'], env);
  let said = '';
  child.all!.on('data', (d: Buffer) => { said += d.toString(); });
  await waitFor('the demo to start', () => said.includes('wxcoze demo — server'), 30_000);
  assert.equal(demos().length, 1, 'the folder exists while the demo runs');
  child.kill('SIGINT');
  await child;
  assert.deepEqual(demos(), []);
  mkdirSync(join(tmp, 'keep-me')); // other folders in the temp directory are not touched
  assert.ok(existsSync(join(tmp, 'keep-me')));
});
