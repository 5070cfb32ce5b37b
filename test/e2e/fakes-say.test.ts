/**
 * A newcomer talks to their own server: `wxcoze fakes` running, `init` as its sample says, `start`,
 * then `wxcoze fakes say "你好"` reaches the server and the bot's answer comes back. When the fakes,
 * the server or the answer is missing, `say` says which and exits non-zero.
 */
import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { after, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import { baseEnv, cli, CLI, freePort, tempDir, TSX, waitFor } from './helpers.js';

const children: ResultPromise[] = [];
const dataDirs: string[] = [];
after(async () => {
  for (const d of dataDirs) {
    const pid = readPid(d);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const c of children) { c.kill('SIGKILL'); await c.catch(() => {}); }
});

/** `wxcoze fakes` as a newcomer runs it, until its banner is printed; returns the banner. */
async function runFakes(extra: string[] = []): Promise<{ banner: string; wecomPort: number; child: ResultPromise }> {
  const [wecomPort, cozePort] = [await freePort(), await freePort()];
  const child = execa(process.execPath, ['--import', TSX, CLI, 'fakes', '--wecom-port', String(wecomPort), '--coze-port', String(cozePort), ...extra], { env: baseEnv(), extendEnv: false, reject: false, all: true });
  children.push(child);
  let out = '';
  child.all?.on('data', (d) => { out += d; });
  await waitFor(`the fakes banner\n${out}`, () => out.includes('Ctrl-C stops the fakes'), 30_000, 100);
  return { banner: out, wecomPort, child };
}

/** The sample of the banner: its environment line and its `init --yes` flags. */
function sample(banner: string): { env: Record<string, string>; initArgs: string[] } {
  const exportLine = /^ {2}export (.+)$/m.exec(banner)![1]!;
  const env = Object.fromEntries(exportLine.split(' ').map((kv) => kv.split('=') as [string, string]));
  const initLine = /^ {2}npx wxcoze (init --yes .+)$/m.exec(banner)![1]!;
  return { env, initArgs: initLine.split(' ') };
}

/** init as the sample says (on loopback here, and a free port), then start --daemon. */
async function initAndStart(banner: string): Promise<Record<string, string>> {
  const s = sample(banner);
  const dataDir = tempDir();
  dataDirs.push(dataDir);
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir, ...s.env });
  const args = s.initArgs.map((a) => (a === '0.0.0.0' ? '127.0.0.1' : a));
  const init = await cli([...args, '--port', String(await freePort())], env);
  assert.equal(init.exitCode, 0, init.out);
  const started = await cli(['start', '--daemon'], env);
  assert.equal(started.exitCode, 0, started.out);
  return env;
}

test('fakes say: the message reaches the running server and the bot\'s answer comes back; without the server or the fakes it says so', async () => {
  const fakes = await runFakes();
  // The sample keeps secrets off the command line: they are in the environment line only.
  const s = sample(fakes.banner);
  assert.ok(s.env.COZE_API_TOKEN?.startsWith('pat_') && s.env.WECOM_SECRET, fakes.banner);
  assert.ok(!s.initArgs.some((a) => a === '--coze-token' || a === '--secret' || a === s.env.COZE_API_TOKEN || a === s.env.WECOM_SECRET), s.initArgs.join(' '));
  assert.match(fakes.banner, /npx wxcoze fakes say "你好"/);

  const env = await initAndStart(fakes.banner);
  const hello = await cli(['fakes', 'say', '你好'], env);
  assert.equal(hello.exitCode, 0, hello.out);
  assert.match(hello.out, /👤 顾客: 你好\n  🤖 客服: 收到：你好$/);
  // The next message gets its own answer, not the earlier one again.
  const again = await cli(['fakes', 'say', '请问营业时间？'], env);
  assert.equal(again.exitCode, 0, again.out);
  assert.match(again.out, /🤖 客服: 收到：请问营业时间？/);
  assert.doesNotMatch(again.out, /收到：你好/);
  // The server recorded the customer like any other.
  const status = JSON.parse((await cli(['status', '--json'], env)).stdout) as { messages: { pending: number; failed: number } };
  assert.deepEqual({ pending: status.messages.pending, failed: status.messages.failed }, { pending: 0, failed: 0 });

  assert.equal((await cli(['stop'], env)).exitCode, 0);
  const noServer = await cli(['fakes', 'say', '在吗'], env);
  assert.equal(noServer.exitCode, 1);
  assert.match(noServer.out, /✗ wxcoze is not running for \S+, so nobody would answer\.\n  → Start it: `wxcoze start --daemon`/);

  fakes.child.kill('SIGINT');
  await fakes.child;
  assert.equal((await cli(['start', '--daemon'], env)).exitCode, 0);
  const noFakes = await cli(['fakes', 'say', '在吗'], env);
  assert.equal(noFakes.exitCode, 1);
  assert.match(noFakes.out, new RegExp(`✗ the fakes are not running at http://127\\.0\\.0\\.1:${fakes.wecomPort} \\(ECONNREFUSED\\)\\.\\n  → Start them in another terminal: \`wxcoze fakes\` --wecom-port ${fakes.wecomPort}`));
  await cli(['stop'], env);
});

test('fakes say: no answer within the timeout (WeCom refuses the server a token) → a clear message and exit 1', async () => {
  const fakes = await runFakes(['--wall', '60020']);
  const env = await initAndStart(fakes.banner);
  try {
    const r = await cli(['fakes', 'say', '--timeout', '3', '你好'], env);
    assert.equal(r.exitCode, 1, r.out);
    assert.match(r.out, /✗ no answer within 3 s\. The server accepted the callback but sent nothing to wm\S+\.\n  → `wxcoze logs -n 30` shows what it did/);
  } finally {
    await cli(['stop'], env);
  }
});
