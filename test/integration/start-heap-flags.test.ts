/**
 * Foreground `wxcoze start` without the V8 heap flags runs node again with them (src/cli/lib/heap-flags.ts)
 * and stays as a launcher that behaves like the server: ready message passed up, SIGTERM drains
 * and exits 0, the server's death by a signal is the launcher's, and a killed launcher takes the
 * server with it.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, test } from 'node:test';
import { request } from 'undici';
import { serverEnv, spawnServer, startFakes, tempDir, waitFor } from '../helpers/harness.js';
import { needsHeapFlags } from '../../src/cli/lib/heap-flags.js';

type Fakes = Awaited<ReturnType<typeof startFakes>>;
let fakes: Fakes | undefined;
const pids: number[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const p of pids.splice(0)) if (alive(p)) process.kill(p, 'SIGKILL');
  await fakes?.wecom.close();
  await fakes?.coze.close();
  fakes = undefined;
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((r) =>
    c.once('exit', (code, signal) => r({ code, signal })),
  );

async function launch() {
  fakes = await startFakes();
  const srv = await spawnServer(serverEnv(fakes, tempDir()), { heapFlags: false });
  children.push(srv.child);
  pids.push(srv.pid);
  return srv;
}

test('started without heap flags: the server runs in a node given them, behind a launcher', async () => {
  const srv = await launch();
  assert.notEqual(srv.pid, srv.child.pid, 'the ready message comes from the relaunched server');
  const cmdline = readFileSync(`/proc/${srv.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes('--max-old-space-size=192') && cmdline.includes('--max-semi-space-size=1'));
  const ping = await request(`${srv.url}/ping`);
  await ping.body.dump();
  assert.equal(ping.statusCode, 200);

  const gone = exited(srv.child);
  srv.child.kill('SIGTERM');
  assert.deepEqual(
    await gone,
    { code: 0, signal: null },
    'SIGTERM to the launcher drains the server, exit 0',
  );
  await waitFor('the server to be gone', () => !alive(srv.pid));
});

test('the server killed by a signal: the launcher dies of the same signal', async () => {
  const srv = await launch();
  const gone = exited(srv.child);
  process.kill(srv.pid, 'SIGKILL');
  assert.deepEqual(await gone, { code: null, signal: 'SIGKILL' });
});

test('the launcher killed (kill -9): the server does not outlive it', async () => {
  const srv = await launch();
  srv.child.kill('SIGKILL');
  await waitFor('the server to end with its launcher', () => !alive(srv.pid), 10_000);
});

test('flags already chosen (command line, NODE_OPTIONS) or a relaunched server: no relaunch', () => {
  assert.equal(needsHeapFlags([], {}), true);
  assert.equal(needsHeapFlags(['--max-old-space-size=512'], {}), false);
  assert.equal(needsHeapFlags([], { NODE_OPTIONS: '--max-old-space-size=300' }), false);
  assert.equal(needsHeapFlags([], { WXCOZE_RELAUNCHED: '1' }), false);
  assert.equal(needsHeapFlags([], { WXCOZE_NO_RELAUNCH: '1' }), false);
});
