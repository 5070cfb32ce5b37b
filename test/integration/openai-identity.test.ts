/**
 * Identities across API keys: the same `user` (or Open-WebUI user id) sent with two keys is two
 * people with two Coze users, unless the keys are configured as one tenant (`key@tenant`).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import OpenAI from 'openai';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { SqliteDb } from '../../src/store/sql/sqlite-db.js';
import { BOT_ID, startHarness, type Harness } from '../helpers/harness.js';

const MODEL = `coze-bot-${BOT_ID}`;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function ask(
  key: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const c = new OpenAI({ apiKey: key, baseURL: `${h!.server.url}/v1`, maxRetries: 0 });
  await c.chat.completions.create(
    {
      model: MODEL,
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
    { headers },
  );
  return h!.coze.chats.at(-1)!.userId!;
}

test('two keys sending the same user get two Coze users; each key keeps its own', async () => {
  h = await startHarness({ WXCOZE_API_KEYS: 'sk-app-one-0001,sk-app-two-0002' });
  const one = await ask('sk-app-one-0001', { user: 'alice' });
  const two = await ask('sk-app-two-0002', { user: 'alice' });
  assert.notEqual(one, two, 'two apps never share one memory');
  assert.equal(await ask('sk-app-one-0001', { user: 'alice' }), one);
  assert.equal(await ask('sk-app-two-0002', { user: { id: 'alice', name: 'Alice' } }), two);
});

test('keys of one tenant share their users, headers included; a key outside it does not', async () => {
  h = await startHarness({
    WXCOZE_API_KEYS:
      'sk-shop-web-0001@shop,sk-shop-owui-002@shop:trust-headers,sk-owui-else-003:trust-headers',
  });
  const web = await ask('sk-shop-web-0001', { user: 'bob' });
  assert.equal(await ask('sk-shop-owui-002', { user: 'bob' }), web, 'one tenant: one person');
  const owui = { 'X-OpenWebUI-User-Id': 'owui-42' };
  const inShop = await ask('sk-shop-owui-002', {}, owui);
  assert.notEqual(inShop, web);
  assert.notEqual(
    await ask('sk-owui-else-003', {}, owui),
    inShop,
    'the same Open-WebUI id from another tenant is another person',
  );
});

test('an identity from before the upgrade keeps its Coze user: the first key that sends it adopts it', async () => {
  h = await startHarness({ WXCOZE_API_KEYS: 'sk-app-one-0001,sk-app-two-0002' });
  // What an older wxcoze wrote (and migration 3 set aside): `user:carol` with her internal user.
  const oldUser = await h.server.store.resolveUser('wecom', 'wmCAROL', Date.now()); // any existing internal user
  await setAside(h, 'user:carol', oldUser);
  assert.equal(await ask('sk-app-two-0002', { user: 'carol' }), oldUser);
  assert.notEqual(await ask('sk-app-one-0001', { user: 'carol' }), oldUser);
  assert.equal(await ask('sk-app-two-0002', { user: 'carol' }), oldUser);
});

/** Puts an unscoped identity where migration 3 leaves them, in whichever engine the harness runs. */
async function setAside(h: Harness, externalId: string, userId: string): Promise<void> {
  const s = h.server.store;
  const sql = 'INSERT INTO legacy_web_identities (external_id, user_id, created_at) VALUES (?, ?, 0)';
  assert.ok(s instanceof SqlStore);
  if (s.db instanceof SqliteDb) s.db.raw.prepare(sql).run(externalId, userId);
  else await s.db.sql(sql, [externalId, userId]);
}
