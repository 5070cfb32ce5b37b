/**
 * Property-based fuzzing (fast-check) of everything the outside can send: random and mutated WeCom
 * callbacks, unsigned and validly signed, and random and mutated /v1/chat/completions bodies. The
 * server must answer each with a 2xx or a 4xx, send nothing to any customer and create no account.
 * Bounded in runs and in time, so the suite stays fast; a failure prints the seed to replay it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { buildSignedCallback, kfEventXml } from '../../src/fakes/wecom/index.js';
import { WecomCrypto } from '../../src/wecom/crypto.js';
import {
  AES_KEY,
  BOT_ID,
  CORP_ID,
  KF,
  settle,
  startHarness,
  TOKEN,
  type Harness,
} from '../helpers/harness.js';

const KEY = 'sk-test-fuzz-00000001';
const MODEL = `coze-bot-${BOT_ID}`;
const LIMITS = { numRuns: 150, interruptAfterTimeLimit: 25_000 } as const;
const crypto = new WecomCrypto(TOKEN, AES_KEY, CORP_ID);
let h: Harness;
before(async () => {
  h = await startHarness({ WXCOZE_API_KEYS: KEY });
});
after(async () => {
  await h.close();
});

/** Byte-level damage: flips, cuts, insertions, duplications of a valid input. */
function mutated(seed: string): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(),
      ch: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          '<',
          '>',
          ']]>',
          '<![CDATA[',
          '</xml>',
          '<!DOCTYPE x>',
          '&amp;',
          '{',
          '}',
          '[',
          '"',
          '\\',
          '\u0000',
          '"__proto__":{}',
        ),
      ),
    }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) =>
    edits.reduce((s, e) => {
      const at = s.length ? e.at % s.length : 0;
      switch (e.kind) {
        case 'flip':
          return s.slice(0, at) + e.ch + s.slice(at + 1);
        case 'cut':
          return s.slice(0, at) + s.slice(at + e.len);
        case 'insert':
          return s.slice(0, at) + e.text + s.slice(at);
        default:
          return s.slice(0, at) + s.slice(at, at + e.len) + s.slice(at);
      }
    }, seed),
  );
}

/** Inner XML that is not a kf event (a signed kf event for a made-up account is issue 10 item 3's business). */
const innerXml = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc
    .record({
      msgType: fc.constantFrom('event', 'text', 'image', '', 'x'),
      event: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('kf_account_auth_change', 'enter_agent')),
      extra: fc.string({ maxLength: 100 }),
    })
    .filter((r) => r.event !== 'kf_msg_or_event')
    .map(
      (r) =>
        `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><MsgType><![CDATA[${r.msgType}]]></MsgType><Event><![CDATA[${r.event}]]></Event><X>${r.extra.replace(/[<&]/g, '')}</X></xml>`,
    ),
  mutated(kfEventXml(CORP_ID, 'TOKEN', KF)).filter((x) => !/kf_msg_or_event/.test(x)),
);

/** Accounts other than the configured one: the start-up pull may store that one at any moment (it is real). */
const junkAccounts = async () =>
  (await h.server.store.listAccounts()).map((a) => a.openKfId).filter((id) => id !== KF);

const goodCallback = buildSignedCallback(crypto, CORP_ID, kfEventXml(CORP_ID, 'TOKEN', KF));

const callback = fc.oneof(
  // unsigned: random bytes, XML-ish junk, a real callback damaged
  fc.record({
    query: fc.constant(goodCallback.query),
    body: fc.oneof(fc.string({ maxLength: 2000 }), mutated(goodCallback.body)),
  }),
  fc.record({
    query: fc.dictionary(
      fc.constantFrom('msg_signature', 'timestamp', 'nonce', 'echostr', 'x'),
      fc.string({ maxLength: 50 }),
    ),
    body: fc.string({ maxLength: 500 }),
  }),
  // signed: a valid signature over damaged ciphertext, over random inner XML, or with an odd timestamp
  mutated(/<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(goodCallback.body)![1]!).map((enc) => {
    const ts = String(Math.floor(Date.now() / 1000));
    return {
      query: { msg_signature: crypto.sign(ts, '1', enc), timestamp: ts, nonce: '1' },
      body: `<xml><Encrypt><![CDATA[${enc}]]></Encrypt></xml>`,
    };
  }),
  fc.tuple(innerXml, fc.integer({ min: -40_000_000, max: 40_000_000 })).map(([xml, offset]) => {
    const cb = buildSignedCallback(crypto, CORP_ID, xml, {
      timestamp: String(Math.max(0, Math.floor(Date.now() / 1000) + (offset % 3 === 0 ? 0 : offset))),
    });
    return { query: cb.query, body: cb.body };
  }),
);

test('fuzzed callbacks (random, mutated, signed and unsigned) → only 2xx/4xx, nothing sent, no new account', async () => {
  await fc.assert(
    fc.asyncProperty(
      callback,
      fc.constantFrom('text/xml', 'application/xml', 'text/plain', 'application/json'),
      async (cb, type) => {
        const res = await h.server.app.inject({
          method: 'POST',
          url: `/wechat/hook?${new URLSearchParams(cb.query)}`,
          headers: { 'content-type': type },
          payload: cb.body,
        });
        assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 200)}`);
        assert.ok(res.body.length < 300, 'short answer');
      },
    ),
    LIMITS,
  );
  await settle(300);
  assert.equal(h.wecom.sent.length, 0);
  assert.deepEqual(await junkAccounts(), []);
});

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII=';
const part = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 200 }) }),
  fc.record({
    type: fc.constant('image_url'),
    image_url: fc.record({
      url: fc.oneof(
        fc.constant(PNG),
        fc.string({ maxLength: 50 }).map((s) => `data:${s}`),
        fc.constant('http://127.0.0.1:9/x.png'),
      ),
    }),
  }),
  fc.record({ type: fc.string({ maxLength: 12 }), text: fc.anything({ maxDepth: 2 }) }),
  fc.string({ maxLength: 50 }),
);
const message = fc.record(
  {
    role: fc.oneof(
      fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function'),
      fc.string({ maxLength: 10 }),
    ),
    content: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom('<think>x</think>y', '<details type="reasoning">', '### Task: "title"\n<chat_history>'),
      fc.array(part, { maxLength: 4 }),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: ['role'] },
);
const chatBody = fc
  .record(
    {
      model: fc.oneof(fc.constant(MODEL), fc.string({ maxLength: 20 })),
      messages: fc.oneof(fc.array(message, { minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
      stream: fc.oneof(fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
      n: fc.oneof(fc.constant(1), fc.integer(), fc.constant(null)),
      tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required'), fc.jsonValue({ maxDepth: 1 })),
      user: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((b) => JSON.stringify(b));
const validBody = JSON.stringify({
  model: MODEL,
  messages: [
    { role: 'system', content: 's' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image_url', image_url: { url: PNG } },
      ],
    },
  ],
});

test('fuzzed /v1/chat/completions bodies (random, structured, mutated) → only 2xx/4xx, nothing sent, no new account', async () => {
  const body = fc.oneof(
    chatBody,
    mutated(validBody),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 500 }),
  );
  await fc.assert(
    fc.asyncProperty(body, async (payload) => {
      const res = await h.server.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body.slice(0, 300)}`);
    }),
    LIMITS,
  );
  await settle(200);
  assert.equal(h.wecom.sent.length, 0);
  assert.deepEqual(await junkAccounts(), []);
});
