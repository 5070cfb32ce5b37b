/**
 * A newcomer talks to their own server: `wxcoze fakes` running, `init` as its sample says, `start`,
 * then `wxcoze fakes say "你好"` reaches the server and the bot's answer comes back; without the
 * server, `say` says so. The other failures: fakes-say-failures.test.ts.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cli } from './helpers.js';
import { cleanUp, initAndStart, runFakes, sample } from './fakes-cli.js';

after(cleanUp);

test("fakes say: the message reaches the running server and the bot's answer comes back; without the server it says so", async () => {
  const fakes = await runFakes();
  // The sample keeps secrets off the command line: they are in the environment line only.
  const s = sample(fakes.banner);
  assert.ok(s.env.COZE_API_TOKEN?.startsWith('pat_') && s.env.WECOM_SECRET, fakes.banner);
  assert.ok(
    !s.initArgs.some(
      (a) =>
        a === '--coze-token' || a === '--secret' || a === s.env.COZE_API_TOKEN || a === s.env.WECOM_SECRET,
    ),
    s.initArgs.join(' '),
  );
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

  assert.equal((await cli(['stop'], env)).exitCode, 0);
  const noServer = await cli(['fakes', 'say', '在吗'], env);
  assert.equal(noServer.exitCode, 1);
  assert.match(
    noServer.out,
    /✗ wxcoze is not running for \S+, so nobody would answer\.\n  → Start it: `wxcoze start --daemon`/,
  );
});
