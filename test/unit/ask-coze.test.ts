import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { askCoze } from '../../src/pipeline/ask-coze.js';
import type { CozePort } from '../../src/pipeline/ports.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';

function capturingLogger() {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  // Like the dispatcher's: every line of a job carries its message id.
  return { log: pino({ level: 'debug' }, sink).child({ msgid: 'msg-db-gone' }), lines };
}

test('a database error while saving the running chat is logged with the message id, and the answer still comes back', async () => {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  let unhandled: unknown;
  const onUnhandled = (reason: unknown) => {
    unhandled = reason;
  };
  process.on('unhandledRejection', onUnhandled);
  const coze = {
    async createConversation() {
      return 'conv-1';
    },
    async chat(req) {
      // The database goes away mid-stream (a real error from the driver, not a stub).
      await store.close();
      req.onEvent?.({ type: 'chat.created', chatId: 'chat-1', conversationId: 'conv-1' });
      return { text: '您好', followUps: [], conversationId: 'conv-1', chatId: 'chat-1' };
    },
  } as Partial<CozePort> as CozePort;
  const { log, lines } = capturingLogger();
  try {
    const res = await askCoze(
      { coze, store, target: { kind: 'bot', botId: 'b1' }, maxAttempts: 1, retryBaseMs: 1 },
      {
        msgid: 'msg-db-gone',
        userId: 'u1',
        messages: [{ role: 'user', content: '在吗', content_type: 'text' }],
      },
      log,
      new AbortController().signal,
    );
    assert.deepEqual(res, { ok: true, text: '您好', followUps: [] });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(unhandled, undefined, 'no promise rejection may go unhandled');
    const warn = lines.find((l) => l.msg?.includes('could not save the running Coze chat'));
    assert.ok(warn, 'the failure is logged');
    assert.equal(warn.msgid, 'msg-db-gone');
    assert.equal(warn.level, 40);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
