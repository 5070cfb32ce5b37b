/**
 * Coze throttling (4013 / HTTP 429): the pipeline waits and sends less instead of failing. Every
 * message is answered exactly once with the real answer (no apology, although COZE_MAX_ATTEMPTS=2
 * would be spent by the refusals if they counted), the adaptive limit is lowered while Coze refuses
 * and grows back once it accepts again.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { ThrottleRule } from '../../src/fakes/coze/index.js';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { inboxStates } from '../helpers/inbox-states.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** One sample of a metric from /metrics (0 when absent). */
async function metric(name: string, labels = ''): Promise<number> {
  const res = await h!.server.app.inject({ method: 'GET', url: '/metrics' });
  const line = res.body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** `n` customers of `prefix` write once each; resolves when every one has at least one reply. */
async function burst(prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `wm${prefix}${String(i).padStart(3, '0')}`);
  await Promise.all(ids.map((id) => h!.wecom.customerSends(KF, id, { text: `问题 ${id}` })));
  await waitFor(`replies to ${prefix}`, () => ids.every((id) => h!.wecom.sentTo(id).length >= 1), 30_000);
  return ids;
}

/** Exactly one reply each, and it is Coze's answer to that customer's own question. */
function assertAnsweredOnce(ids: string[]): void {
  for (const id of ids) {
    const sent = h!.wecom.sentTo(id);
    assert.equal(sent.length, 1, `${id} got ${sent.length} replies`);
    assert.match(
      JSON.stringify(sent[0]),
      new RegExp(`收到：问题 ${id}`),
      `${id} got the answer, not an apology`,
    );
  }
}

async function throttledThenCleared(rule: ThrottleRule): Promise<void> {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '2' });
  // Slow enough that chats overlap and the limit is what holds customers back.
  h.coze.setResponder((chat) => ({
    text: `收到：${String(chat.messages.at(-1)?.content ?? '')}`,
    delayMs: 150,
  }));

  assertAnsweredOnce(await burst('a', 20));
  const before = await metric('wxcoze_coze_concurrency_limit');
  assert.ok(before > 0, 'the limit is published in /metrics');
  const loweredBefore = await metric('wxcoze_coze_limit_changes_total', '{direction="lowered"}');

  h.coze.setThrottle(rule);
  const throttledIds = await burst('b', 30);
  assert.ok(h.coze.throttledChats > 0, 'the fake refused chats');
  const lowered = (await metric('wxcoze_coze_limit_changes_total', '{direction="lowered"}')) - loweredBefore;
  assert.ok(lowered > 0, 'the limit was lowered while Coze throttled');
  assert.ok((await metric('wxcoze_coze_throttled_total')) >= 1);

  h.coze.setThrottle(null);
  const afterIds = await burst('c', 40);
  await settle(400);
  assertAnsweredOnce([...throttledIds, ...afterIds]);
  const after = await metric('wxcoze_coze_concurrency_limit');
  assert.ok(
    after >= before,
    `the limit grew back once Coze accepted again (${after} vs ${before} before throttling)`,
  );
  const states = await inboxStates(h.server.store);
  assert.equal(states.done, 90);
  assert.equal(states.failed ?? 0, 0);
}

test('Coze answering 4013 for a while → every message answered once, limit lowered then restored', async () => {
  await throttledThenCleared({ as: 'code4013', forMs: 1500 });
});

test('4013 as the chat last_error inside the stream is throttling too', async () => {
  await throttledThenCleared({ as: 'sse4013', forMs: 1500 });
});

test('Coze allowing 5 chats at once (HTTP 429 above) → answered once each, never more than 5 running', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '2' });
  h.coze.setResponder((chat) => ({
    text: `收到：${String(chat.messages.at(-1)?.content ?? '')}`,
    delayMs: 100,
  }));
  h.coze.setThrottle({ as: 'http429', aboveConcurrent: 5 });
  const ids = await burst('d', 40);
  await settle(400);
  assertAnsweredOnce(ids);
  assert.ok(h.coze.throttledChats > 0, 'the cap was hit');
  assert.ok(h.coze.maxConcurrentSeen <= 5, `at most 5 chats ran at once (${h.coze.maxConcurrentSeen})`);
  assert.ok((await metric('wxcoze_coze_limit_changes_total', '{direction="lowered"}')) > 0);
  // The limit settles near what Coze takes instead of hammering it with 40.
  assert.ok((await metric('wxcoze_coze_concurrency_limit')) < 40);
});

test('shutdown while Coze throttles: stop returns, the waiting message is neither failed nor answered', async () => {
  h = await startHarness({ COZE_MAX_ATTEMPTS: '2' });
  h.coze.setThrottle({ as: 'code4013' });
  await h.wecom.customerSends(KF, 'wmStop', { text: '在吗' });
  // One refusal is enough: from then on the message waits in the limiter's line (30 s: a loaded CI
  // machine once took longer than 15 s to reach a second refusal).
  await waitFor('Coze to refuse it', () => h!.coze.throttledChats >= 1, 30_000);
  const { server, wecom, coze } = h;
  h = undefined;
  await server.stop(300);
  assert.equal(wecom.sentTo('wmStop').length, 0, 'no apology, no answer: it waits for the next start');
  await wecom.close();
  await coze.close();
});
