import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { LiveFeed, registerLive } from '../../src/console/live.js';
import type { ConversationChange } from '../../src/store/console-types.js';
import { captureLogger } from '../helpers/wecom-fake.js';

/** Opens the event stream; resolves with its status and a reader of what arrives. */
function openStream(url: string) {
  return new Promise<{ status: number; text: () => string; close: () => void }>((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      resolve({
        status: res.statusCode ?? 0,
        text: () => body,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(cond: () => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the live feed sends store changes once each, refuses streams over its limit, and lets the server close', async () => {
  let changes: ConversationChange[] = [];
  let polls = 0;
  const feed = new LiveFeed({
    conversations: {
      changesSince: () => {
        polls++;
        return Promise.resolve(changes);
      },
    },
    logger: captureLogger([]),
    intervalMs: 20,
    maxClients: 2,
  });
  const app = Fastify();
  registerLive(app, feed, () => ({ code: 'too_many_streams', message: 'close some tabs' }));
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/events`;
  const a = await openStream(url);
  const b = await openStream(url);
  assert.equal(a.status, 200);
  const refused = await openStream(url);
  assert.equal(refused.status, 503);
  await until(() => refused.text().includes('too_many_streams'), 'the refusal');

  const at = Date.now();
  changes = [{ type: 'message', openKfId: 'wk1', externalUserId: 'wmA', seq: 7, updatedAt: at }];
  await until(
    () => a.text().includes('"seq":7') && b.text().includes('"seq":7'),
    'the change on both streams',
  );
  const pollsThen = polls;
  await until(() => polls > pollsThen + 3, 'more polls');
  // Read again in the overlap window, sent once.
  assert.equal(a.text().split('"seq":7').length - 1, 1);
  assert.deepEqual(JSON.parse(/data: (.*)\n/.exec(a.text())![1]!), {
    type: 'message',
    openKfId: 'wk1',
    externalUserId: 'wmA',
    seq: 7,
  });
  // The same row written again later is news.
  changes = [{ type: 'message', openKfId: 'wk1', externalUserId: 'wmA', seq: 7, updatedAt: at + 5 }];
  await until(() => a.text().split('"seq":7').length - 1 === 2, 'the second change');

  // Closing the server ends the open streams instead of waiting for them.
  await app.close();
  assert.equal(feed.size, 0);
  a.close();
  b.close();
});

test('the poller runs only while a page listens', async () => {
  let polls = 0;
  const feed = new LiveFeed({
    conversations: { changesSince: () => (polls++, Promise.resolve([])) },
    logger: captureLogger([]),
    intervalMs: 20,
  });
  const app = Fastify();
  registerLive(app, feed, () => ({ code: 'x', message: 'x' }));
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/events`;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(polls, 0);
  const s = await openStream(url);
  await until(() => polls > 0, 'a poll');
  s.close();
  await until(() => feed.size === 0, 'the stream to go');
  const after = polls;
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(polls <= after + 1, 'no polling without a listener');
  await app.close();
});
