/**
 * `wxcoze backup` during traffic and `wxcoze restore` (SQLite, the real server and CLI against the
 * fakes): after the restore every customer message is answered exactly once. The dangerous
 * messages are those the backup holds as not answered (or does not hold at all) but that were
 * answered before the restore: asked again, Coze answers differently (here: a longer answer in two
 * parts); WeCom refuses the first part's msgid as a duplicate, and nothing more may go out.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import type { RecordedChat } from '../../src/fakes/coze/types.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { CLI_JS } from '../helpers/cli-entry.js';
import {
  freePort,
  KF,
  serverEnv,
  settle,
  spawnServer,
  startFakes,
  tempDir,
  waitFor,
} from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

type Fakes = Awaited<ReturnType<typeof startFakes>>;
let fakes: Fakes | undefined;
const children: import('node:child_process').ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await fakes?.wecom.close();
  await fakes?.coze.close();
  fakes = undefined;
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI_JS, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

const exited = (c: import('node:child_process').ChildProcess) =>
  new Promise<number | null>((r) => c.once('exit', (code) => r(code)));

const question = (chat: RecordedChat) => {
  const c = chat.messages.at(-1)?.content;
  return typeof c === 'string' ? c : JSON.stringify(c);
};
const SHORT = (q: string) => `第一次的答案：${q}`;
/** Two paragraphs of 1,500 bytes: two WeCom messages. */
const LONG = `${'甲'.repeat(500)}\n\n${'乙'.repeat(500)}`;

async function pendingRows(dataDir: string): Promise<number> {
  const s = SqlStore.sqlite(join(dataDir, 'wxcoze.db'));
  try {
    const c = await inboxStates(s);
    return (c.received ?? 0) + (c.answered ?? 0) + (c.sending ?? 0);
  } finally {
    await s.close();
  }
}

test('a backup taken during traffic, restored: every customer message is answered exactly once', async () => {
  fakes = await startFakes();
  const f = fakes;
  const dataDir = tempDir();
  const env = serverEnv(f, dataDir, { PORT: String(await freePort()), COZE_TIMEOUT_MS: '60000' });
  // The first time a question is asked: a short answer, held until the backup is taken (so the
  // copy has it unanswered). Any later time (after the restore): a different, two-part answer.
  let release!: () => void;
  const backupTaken = new Promise<void>((r) => (release = r));
  const asked = new Map<string, number>();
  f.coze.setResponder(async (chat) => {
    const q = question(chat);
    const n = (asked.get(q) ?? 0) + 1;
    asked.set(q, n);
    if (n > 1) return LONG;
    await backupTaken;
    return SHORT(q);
  });

  const first = await spawnServer(env);
  children.push(first.child);
  f.wecom.setCallbackUrl(`${first.url}/wechat/hook`);
  const before = ['wmB0', 'wmB1', 'wmB2', 'wmB3'];
  for (const u of before) await f.wecom.customerSends(KF, u, { text: `问题 ${u}` });
  await waitFor('Coze to be asked every question', () => f.coze.chats.length >= before.length, 20_000);

  // The backup, while Coze is still answering them (they are "received" in the copy).
  const backup = join(dataDir, 'my-backup.db');
  const b = await cli(['backup', backup], env);
  assert.equal(b.code, 0, b.out);
  assert.match(b.out, /backup written/);
  assert.equal(statSync(backup).mode & 0o777, 0o600, 'the backup is readable by its owner only');
  for (const u of before)
    assert.equal(f.wecom.sentTo(u).length, 0, 'the backup was taken before the answers');
  release();
  await waitFor('the first answers', () => before.every((u) => f.wecom.sentTo(u).length === 1), 20_000);
  // Customers who write after the backup: answered now, unknown to the backup.
  const after = ['wmA0', 'wmA1'];
  for (const u of after) await f.wecom.customerSends(KF, u, { text: `问题 ${u}` });
  await waitFor(
    'the answers after the backup',
    () => after.every((u) => f.wecom.sentTo(u).length === 1),
    20_000,
  );

  // Restore is refused while the server runs, and changes nothing.
  const refused = await cli(['restore', backup], env);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /is running \(pid \d+\): stop it first with `wxcoze stop`/);

  const stopped = exited(first.child);
  first.child.kill('SIGTERM');
  assert.equal(await stopped, 0);
  // A customer writes while wxcoze is down: WeCom keeps the message.
  await f.wecom.customerSends(KF, 'wmDown', { text: '问题 wmDown' }, { notify: false });

  const r = await cli(['restore', backup], env);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /restored .*my-backup\.db/);
  const safety = readdirSync(dataDir).filter((n) => n.startsWith('wxcoze.db.before-restore-'));
  assert.equal(safety.length, 1, 'the replaced database is kept');

  const second = await spawnServer(env);
  children.push(second.child);
  f.wecom.setCallbackUrl(`${second.url}/wechat/hook`);
  await waitFor(
    'the message sent while down to be answered',
    () => f.wecom.sentTo('wmDown').length === 1,
    30_000,
  );
  // The restored rows of the first customers are asked again, and the later ones pulled again.
  await waitFor(
    'every restored message to be worked',
    async () =>
      [...before, ...after].every((u) => (asked.get(`问题 ${u}`) ?? 0) >= 2) &&
      (await pendingRows(dataDir)) === 0,
    30_000,
    200,
  );
  await settle(1000);
  for (const u of [...before, ...after, 'wmDown']) {
    const got = f.wecom.sentTo(u);
    assert.equal(
      got.length,
      1,
      `${u} got ${got.length} messages: ${got.map((g) => g.content?.slice(0, 12)).join(' | ')}`,
    );
    assert.equal(got[0]!.content, SHORT(`问题 ${u}`));
  }
  const stop2 = exited(second.child);
  second.child.kill('SIGTERM');
  assert.equal(await stop2, 0);
  assert.ok(existsSync(join(dataDir, 'wxcoze.db')));
});
