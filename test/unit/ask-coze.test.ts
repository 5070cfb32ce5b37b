import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { askCoze } from '../../src/pipeline/ask-coze.js';
import { CozeError, type CozePort } from '../../src/pipeline/ports.js';
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
      {
        coze,
        store,
        target: { kind: 'bot', botId: 'b1' },
        maxAttempts: 1,
        retryBaseMs: 1,
        cozeAuth: 'token',
      },
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

/**
 * A Coze that knows which conversations the current credential may use; 4101 for any other (as Coze
 * might answer). A chat without a conversation makes one, named in its first event (as /v3/chat does).
 */
function cozeReaching(reachable: Set<string>, calls: string[]) {
  let n = 0;
  return {
    async chat(req) {
      calls.push(`chat ${req.conversationId ?? '(new)'}`);
      if (req.conversationId && !reachable.has(req.conversationId))
        throw new CozeError({ code: 4101, msg: 'The token you entered does not have permission' });
      const conversationId = req.conversationId ?? `conv-new-${++n}`;
      reachable.add(conversationId);
      req.onEvent?.({ type: 'chat.created', chatId: 'chat-1', conversationId });
      return { text: '好的', followUps: [], conversationId, chatId: 'chat-1' };
    },
  } as Partial<CozePort> as CozePort;
}

async function storeWith(cozeAuth: string) {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  await store.setConversation('u1', 'bot:b1', 'conv-old', 1, cozeAuth);
  return store;
}

const ask = (coze: CozePort, store: SqlStore, cozeAuth: string, log = capturingLogger().log) =>
  askCoze(
    { coze, store, target: { kind: 'bot', botId: 'b1' }, maxAttempts: 2, retryBaseMs: 1, cozeAuth },
    { msgid: 'm1', userId: 'u1', messages: [{ role: 'user', content: '在吗', content_type: 'text' }] },
    log,
    new AbortController().signal,
  );

test('after switching to the OAuth app, a conversation the app cannot reach is replaced quietly, and the answer comes', async () => {
  const store = await storeWith('token');
  const calls: string[] = [];
  const { log, lines } = capturingLogger();
  const res = await ask(cozeReaching(new Set(), calls), store, 'oauth:1180123456789', log);
  assert.deepEqual(res, { ok: true, text: '好的', followUps: [] });
  assert.deepEqual(calls, ['chat conv-old', 'chat (new)']);
  assert.deepEqual(await store.conversationOf('u1', 'bot:b1'), {
    conversationId: 'conv-new-1',
    cozeAuth: 'oauth:1180123456789',
  });
  const note = lines.find((l) => l.msg?.includes('out of reach of this one'));
  assert.equal(note?.level, 30, 'said once, at info: a switch is not a fault');
  assert.ok(!lines.some((l) => l.level >= 40), 'no warning or error');
  await store.close();
});

test('after switching, a conversation the new credential reaches is kept, and becomes its own', async () => {
  const store = await storeWith('token');
  const calls: string[] = [];
  const res = await ask(cozeReaching(new Set(['conv-old']), calls), store, 'oauth:1180123456789');
  assert.equal(res.ok, true);
  assert.deepEqual(calls, ['chat conv-old']);
  assert.deepEqual(await store.conversationOf('u1', 'bot:b1'), {
    conversationId: 'conv-old',
    cozeAuth: 'oauth:1180123456789',
  });
  await store.close();
});

test("a permission refusal on the credential's own conversation is a real refusal: no new conversation", async () => {
  const store = await storeWith('oauth:1180123456789');
  const calls: string[] = [];
  const res = await ask(cozeReaching(new Set(), calls), store, 'oauth:1180123456789');
  assert.equal(res.ok, false);
  assert.deepEqual(calls, ['chat conv-old']);
  assert.equal((await store.conversationOf('u1', 'bot:b1'))?.conversationId, 'conv-old');
  await store.close();
});

test("conversations stored before wxcoze knew credentials count as the access token's", async () => {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  await store.setConversation('u1', 'bot:b1', 'conv-old', 1);
  // As a row from before migration 10 is: no credential recorded.
  await store.db.run(store.db.qb.updateTable('conversations').set({ coze_auth: null }));
  assert.deepEqual(await store.conversationOf('u1', 'bot:b1'), {
    conversationId: 'conv-old',
    cozeAuth: 'token',
  });
  await store.close();
});

test("a new customer's first chat goes without a conversation; the one Coze made is stored and the next chat continues it", async () => {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  const calls: string[] = [];
  const coze = cozeReaching(new Set(), calls);
  assert.equal((await ask(coze, store, 'token')).ok, true);
  assert.deepEqual(await store.conversationOf('u1', 'bot:b1'), {
    conversationId: 'conv-new-1',
    cozeAuth: 'token',
  });
  assert.equal((await ask(coze, store, 'token')).ok, true);
  assert.deepEqual(
    calls,
    ['chat (new)', 'chat conv-new-1'],
    'no /v1/conversation/create, and one conversation',
  );
  await store.close();
});

test('a chat that fails after Coze made its conversation leaves that conversation for the retry', async () => {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  const sent: (string | undefined)[] = [];
  const coze = {
    async chat(req) {
      sent.push(req.conversationId);
      req.onEvent?.({ type: 'chat.created', chatId: `chat-${sent.length}`, conversationId: 'conv-made' });
      if (sent.length === 1) throw new CozeError({ code: 5000, msg: 'event interval error' });
      return { text: '好的', followUps: [], conversationId: 'conv-made', chatId: 'chat-2' };
    },
  } as Partial<CozePort> as CozePort;
  assert.equal((await ask(coze, store, 'token')).ok, true);
  assert.deepEqual(sent, [undefined, 'conv-made']);
  await store.close();
});

test('a first chat Coze refused for load after making its conversation, sent again into a new one: the one with the answer is stored', async () => {
  const store = SqlStore.sqlite(join(mkdtempSync(join(tmpdir(), 'wxcoze-ask-')), 'wxcoze.db'));
  await store.migrate();
  // What the limiter does on 4013 after chat.created: the same request again, so Coze makes another.
  const coze = {
    async chat(req) {
      req.onEvent?.({ type: 'chat.created', chatId: 'chat-1', conversationId: 'conv-refused' });
      req.onEvent?.({ type: 'chat.created', chatId: 'chat-2', conversationId: 'conv-answered' });
      return { text: '好的', followUps: [], conversationId: 'conv-answered', chatId: 'chat-2' };
    },
  } as Partial<CozePort> as CozePort;
  assert.equal((await ask(coze, store, 'token')).ok, true);
  assert.equal((await store.conversationOf('u1', 'bot:b1'))?.conversationId, 'conv-answered');
  await store.close();
});
