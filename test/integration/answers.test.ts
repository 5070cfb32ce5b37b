import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import { request } from 'undici';
import {
  APP_ID,
  BOT_ID,
  COZE_TOKEN,
  KF,
  settle,
  startHarness,
  waitFor,
  WORKFLOW_ID,
  type Harness,
} from '../helpers/harness.js';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

let h: Harness | undefined;
let img: Server | undefined;
afterEach(async () => {
  img?.closeAllConnections();
  await new Promise<void>((r) => (img ? img.close(() => r()) : r()));
  img = undefined;
  await h?.close();
  h = undefined;
});

/** Bytes /endless.png has sent so far. */
let endlessServed = 0;

/** A stand-in for Coze's image CDN: /cat.png is an image, /endless.png a PNG that never ends, anything else 404. */
async function imageHost(): Promise<string> {
  endlessServed = 0;
  img = createServer((req, res) => {
    if (req.url === '/cat.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    } else if (req.url === '/endless.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) endlessServed += chunk.length;
      };
      res.on('drain', pump);
      pump();
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => img!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(img.address() as AddressInfo).port}`;
}

test('a markdown image in the answer is uploaded to WeCom and sent as an image, between its text parts', async () => {
  // The test's image host is on loopback, which the SSRF guard refuses unless allowed.
  h = await startHarness({ WXCOZE_ALLOW_PRIVATE_URLS: '1' });
  const base = await imageHost();
  h.coze.setResponder(() => `这是您要的图片：\n![白猫](${base}/cat.png)\n还需要别的吗？`);
  await h.wecom.customerSends(KF, 'wmPic', { text: '发张猫的图片' });
  await waitFor('three parts', () => h!.wecom.sentTo('wmPic').length === 3);
  const sent = h.wecom.sentTo('wmPic');
  assert.deepEqual(
    sent.map((s) => s.msgtype),
    ['text', 'image', 'text'],
  );
  const mediaId = (sent[1]!.payload as { media_id: string }).media_id;
  assert.ok(mediaId);
  assert.ok(h.wecom.calls.some((c) => c.path.includes('media/upload')));
  // The uploaded bytes are the picture itself.
  const token = (await (
    await request(
      `${h.wecom.url}/cgi-bin/gettoken?corpid=${h.wecom.corpId}&corpsecret=${encodeURIComponent(h.wecom.secret)}`,
    )
  ).body.json()) as { access_token: string };
  const media = await request(
    `${h.wecom.url}/cgi-bin/media/get?access_token=${token.access_token}&media_id=${mediaId}`,
  );
  assert.deepEqual(Buffer.from(await media.body.arrayBuffer()), PNG);
});

test('an answer image that cannot be fetched falls back to its link as text', async () => {
  h = await startHarness({ WXCOZE_ALLOW_PRIVATE_URLS: '1' });
  const base = await imageHost();
  h.coze.setResponder(() => `![丢失的图](${base}/gone.png)`);
  await h.wecom.customerSends(KF, 'wmGone', { text: '图片' });
  await waitFor('the fallback', () => h!.wecom.sentTo('wmGone').length === 1);
  const [s] = h.wecom.sentTo('wmGone');
  assert.equal(s!.msgtype, 'text');
  assert.equal(s!.content, `丢失的图: ${base}/gone.png`);
});

test('an answer image larger than 2 MB is cut off while downloading (never buffered whole): the link goes as text', async () => {
  h = await startHarness({ WXCOZE_ALLOW_PRIVATE_URLS: '1' });
  const base = await imageHost();
  h.coze.setResponder(() => `![大图](${base}/endless.png)`);
  await h.wecom.customerSends(KF, 'wmHuge', { text: '图片' });
  await waitFor('the fallback', () => h!.wecom.sentTo('wmHuge').length === 1);
  const [s] = h.wecom.sentTo('wmHuge');
  assert.equal(s!.msgtype, 'text');
  assert.equal(s!.content, `大图: ${base}/endless.png`);
  const served = endlessServed;
  await settle(300);
  assert.equal(endlessServed, served, 'the download was stopped');
  assert.ok(served < 16 * 1024 * 1024, `stopped near the 2 MB limit (served ${served} bytes)`);
});

test('an answer image on a private address is never fetched (SSRF guard): the link goes as text', async () => {
  h = await startHarness();
  const base = await imageHost();
  let hits = 0;
  img!.on('request', () => {
    hits++;
  });
  h.coze.setResponder(() => `![内部](${base}/cat.png)`);
  await h.wecom.customerSends(KF, 'wmSsrf', { text: '图片' });
  await waitFor('the fallback', () => h!.wecom.sentTo('wmSsrf').length === 1);
  assert.equal(h.wecom.sentTo('wmSsrf')[0]!.msgtype, 'text');
  assert.equal(hits, 0, 'the loopback image host was never contacted');
});

test('chatflow mode: workflow chat with the conversation in the body, the user in ext, multi-turn', async () => {
  h = await startHarness({ COZE_BOT_ID: '', COZE_WORKFLOW_ID: WORKFLOW_ID, COZE_APP_ID: APP_ID });
  await h.wecom.customerSends(KF, 'wmFlow', { text: '第一问' });
  await waitFor('first reply', () => h!.wecom.sentTo('wmFlow').length === 1);
  await h.wecom.customerSends(KF, 'wmFlow', { text: '第二问' });
  await waitFor('second reply', () => h!.wecom.sentTo('wmFlow').length === 2);
  const [c1, c2] = h.coze.chats;
  assert.equal(c1!.endpoint, '/v1/workflows/chat');
  assert.equal(c1!.workflowId, WORKFLOW_ID);
  assert.equal(c1!.appId, APP_ID);
  assert.equal(
    c2!.sentConversationId.body,
    c1!.conversationId,
    'the second turn continues the first conversation, id in the body',
  );
  assert.equal(c2!.sentConversationId.query, undefined);
  assert.equal(c1!.userId, c2!.userId);
  assert.equal(h.wecom.sentTo('wmFlow')[1]!.content, '收到：第二问');
});

test('a conversation still busy with an older chat (4016) is waited out or replaced — never an apology', async () => {
  h = await startHarness();
  await h.wecom.customerSends(KF, 'wmBusy', { text: '一' });
  await waitFor('first reply', () => h!.wecom.sentTo('wmBusy').length === 1);
  const conv = h.coze.chats[0]!.conversationId;
  // Something else (a previous process, say) starts a long chat in the same conversation.
  h.coze.setResponder((chat) =>
    chat.userId === 'other-process'
      ? { text: '慢', delayMs: 4000 }
      : `收到：${(chat.messages.at(-1) as any).content}`,
  );
  const stray = await request(`${h.coze.url}/v3/chat?conversation_id=${conv}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${COZE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      bot_id: BOT_ID,
      user_id: 'other-process',
      stream: true,
      additional_messages: [{ role: 'user', content: 'x', content_type: 'text' }],
    }),
  });
  await waitFor('the stray chat running', () => h!.coze.runningChats() === 1);
  await h.wecom.customerSends(KF, 'wmBusy', { text: '二' });
  await waitFor('second reply', () => h!.wecom.sentTo('wmBusy').length === 2, 15_000);
  assert.equal(h.wecom.sentTo('wmBusy')[1]!.content, '收到：二');
  await stray.body.dump().catch(() => {});
  await settle(200);
  assert.equal(h.wecom.sentTo('wmBusy').length, 2);
});
