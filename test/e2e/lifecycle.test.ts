/** `start --daemon` / `status` / `stop`, and `logs` with its filters. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { isAlive } from '../../src/cli/lib/runstate.js';
import {
  baseEnv,
  cli,
  CLI,
  freePort,
  initFlags,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
} from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

// A daemon whose parent exited is reparented; in a container without a reaping init it lingers as a
// zombie, which kill(pid, 0) still finds: isAlive looks at the process state.
const alive = isAlive;

test('start --daemon, status, a second start refused, verify --local-only, stop waits, status says stopped', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const port = await freePort();
  assert.equal((await cli(initFlags(f, port), env)).exitCode, 0);

  const down = await cli(['status', '--json'], env);
  assert.equal(down.exitCode, 3, 'not running → exit 3');
  assert.equal(JSON.parse(down.stdout).running, false);

  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  assert.match(
    started.out,
    new RegExp(`started in the background \\(pid \\d+\\), listening on http://127\\.0\\.0\\.1:${port}`),
  );
  let pid = 0;
  try {
    const st = await cli(['status', '--json'], env);
    assert.equal(st.exitCode, 0, st.out);
    const s = JSON.parse(st.stdout);
    pid = s.pid;
    assert.equal(s.running, true);
    assert.equal(s.port, port);
    assert.equal(s.ping, true);
    assert.deepEqual(s.readiness, { ready: true, problems: [] });
    assert.match((await cli(['status'], env)).out, /\(\/ping ok\)\s+ready/);
    assert.ok(s.uptimeMs >= 0 && s.version);
    assert.equal(s.store.kind, 'sqlite');
    assert.equal(s.store.reachable, true);
    assert.deepEqual(
      { pending: s.messages.pending, failed: s.messages.last24h.failed },
      { pending: 0, failed: 0 },
    );
    assert.match((await cli(['status'], env)).out, /messages {4}0 waiting; last 24 h: none/);
    assert.ok(alive(pid));

    const twice = await cli(['start', '--daemon'], env);
    assert.equal(twice.exitCode, 1);
    assert.match(twice.out, new RegExp(`already running .*pid ${pid}`));

    // The generated Token/AESKey are what the running server verifies with.
    const v = await cli(['verify', '--local-only'], env);
    assert.equal(v.exitCode, 0, v.out);
    assert.match(v.out, /✓ body +the decrypted echostr came back exactly/);

    const stop = await cli(['stop'], env);
    assert.equal(stop.exitCode, 0, stop.out);
    assert.match(stop.out, /stopped after/);
    assert.ok(!alive(pid), 'the process is gone when stop returns');
    assert.ok(!existsSync(join(dataDir, 'wxcoze.pid')), 'pid file removed');
    const st2 = await cli(['status'], env);
    assert.equal(st2.exitCode, 3);
    assert.match(st2.out, /○ not running/);
    // The daemon wrote the log file.
    const logs = await cli(['logs', '--json', '-n', '0'], env);
    assert.match(logs.out, /"msg":"wxcoze listening"/);
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('status says when a running server is not ready, and why (here: its Redis does not answer)', async () => {
  const dataDir = tempDir();
  const port = await freePort();
  const env = baseEnv({
    WXCOZE_DATA_DIR: dataDir,
    WXCOZE_REDIS_URL: `redis://127.0.0.1:${await freePort()}/0`,
  });
  assert.equal((await cli(initFlags(f, port), env)).exitCode, 0);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  let pid = 0;
  try {
    const st = await cli(['status', '--json'], env);
    const s = JSON.parse(st.stdout);
    pid = s.pid;
    assert.equal(s.ping, true, 'it answers /ping');
    assert.equal(s.readiness.ready, false);
    assert.match(s.readiness.problems.join('\n'), /redis|cache/i);
    const human = await cli(['status'], env);
    assert.match(human.out, /✗ not ready: /);
    assert.match(human.out, /start Redis or fix WXCOZE_REDIS_URL/);
  } finally {
    await cli(['stop'], env);
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

test('a stale pid file (process gone) does not block start', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  assert.equal((await cli(initFlags(f, await freePort()), env)).exitCode, 0);
  writeFileSync(join(dataDir, 'wxcoze.pid'), '999999\n');
  const r = await cli(['status', '--json'], env);
  assert.equal(JSON.parse(r.stdout).running, false);
  assert.ok(!existsSync(join(dataDir, 'wxcoze.pid')), 'stale pid file cleared');
});

const line = (o: Record<string, unknown>) =>
  `${JSON.stringify({ time: '2025-01-01T00:00:00.000Z', app: 'wxcoze', ...o })}\n`;

test('logs: level, customer and msgid filters, -n, JSON output, and -f following new lines', async () => {
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  mkdirSync(join(dataDir, 'logs'));
  const file = join(dataDir, 'logs', 'wxcoze.log');
  writeFileSync(
    file,
    [
      line({ level: 30, msg: 'wxcoze listening' }),
      line({ level: 30, msg: 'message stored', msgid: 'MSG_A', externalUserId: 'wmCUSTOMER_1' }),
      line({ level: 40, msg: 'send_msg failed in transit', msgid: 'MSG_A', openKfId: 'wk1' }),
      line({ level: 50, msg: 'coze failed', msgid: 'MSG_B', customer: { external_userid: 'wmCUSTOMER_2' } }),
      'not json at all\n',
    ].join(''),
  );

  // The filter rules themselves are unit-tested (test/unit/cli-logs.test.ts); here the command end to end.
  const r = await cli(['logs', '--json', '--msgid', 'MSG_A', '--level', 'warn'], env);
  assert.equal(r.exitCode, 0, r.out);
  assert.deepEqual(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).msg),
    ['send_msg failed in transit'],
  );
  const c = await cli(['logs', '--json', '--customer', 'wmCUSTOMER_2'], env);
  assert.deepEqual(
    c.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).msgid),
    ['MSG_B'],
  );

  // -f: new matching lines appear, others don't.
  const child = execa(process.execPath, [CLI, 'logs', '-f', '--json', '--msgid', 'MSG_C', '-n', '1'], {
    env,
    extendEnv: false,
    reject: false,
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    appendFileSync(
      file,
      line({ level: 30, msg: 'other', msgid: 'MSG_D' }) +
        line({ level: 30, msg: 'followed', msgid: 'MSG_C' }),
    );
    await waitFor('the followed line', () => out.includes('"followed"'), 10_000);
    assert.ok(!out.includes('MSG_D'));
  } finally {
    child.kill('SIGTERM');
    await child;
  }
});
