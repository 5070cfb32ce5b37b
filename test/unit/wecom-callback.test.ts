import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallbackParseError, parseEnvelope, parseEvent } from '../../src/wecom/callback.js';
import { WecomCrypto } from '../../src/wecom/crypto.js';
import { buildSignedCallback, kfEventXml } from '../../src/fakes/wecom/index.js';

const ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';

function expectParseError(fn: () => unknown, reason?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CallbackParseError, `expected CallbackParseError, got ${String(err)}`);
    if (reason) assert.match(err.reason, reason);
    return true;
  });
}

test('envelope: official layout (docs/protocol.md §crypto-vectors (Set B)) with CDATA', () => {
  const xml = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[${ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
  assert.deepEqual(parseEnvelope(xml), {
    toUserName: 'wx5823bf96d3bd56c7',
    encrypt: ENCRYPT,
    agentId: '218',
  });
});

test('envelope: newlines/indentation between elements, numbers stay strings, empty AgentID', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n  <ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n  <Encrypt><![CDATA[${ENCRYPT}]]></Encrypt>\n  <AgentID><![CDATA[]]></AgentID>\n</xml>\n`;
  const env = parseEnvelope(xml);
  assert.equal(env.encrypt, ENCRYPT);
  assert.equal(env.toUserName, 'ww1436e0e65a779aee');
  assert.equal(env.agentId, undefined);
  const numeric = parseEnvelope(`<xml><Encrypt>${ENCRYPT}</Encrypt><AgentID>1000002</AgentID></xml>`);
  assert.equal(numeric.agentId, '1000002');
  assert.equal(typeof numeric.agentId, 'string');
});

test('envelope: missing or empty Encrypt, malformed XML → CallbackParseError', () => {
  expectParseError(() => parseEnvelope('<xml><ToUserName>a</ToUserName></xml>'), /Encrypt/);
  expectParseError(() => parseEnvelope('<xml><Encrypt><![CDATA[]]></Encrypt></xml>'), /Encrypt/);
  expectParseError(() => parseEnvelope('<xml><Encrypt>abc</Encrypt>'), /malformed/);
  expectParseError(() => parseEnvelope('{"encrypt":"abc"}'), /malformed/);
  expectParseError(() => parseEnvelope(''));
  expectParseError(() => parseEnvelope('<root><Encrypt>abc</Encrypt></root>'), /root/);
  expectParseError(
    () =>
      parseEnvelope('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>'),
    /DOCTYPE/,
  );
});

test('event: kf_msg_or_event (docs/protocol.md §kf-callback sample, with newlines)', () => {
  const xml = `<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>
<Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>
<OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>`;
  assert.deepEqual(parseEvent(xml), {
    kind: 'kf_msg_or_event',
    token: 'ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR',
    openKfId: 'wkxxxxxxx',
    createTime: 1348831860,
    toUserName: 'ww12345678910',
  });
});

test("event: the fake's kfEventXml survives encrypt → envelope → decrypt → parse", () => {
  const crypto = new WecomCrypto('tok', 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', 'ww0123456789abcdef');
  const signed = buildSignedCallback(
    crypto,
    'ww0123456789abcdef',
    kfEventXml('ww0123456789abcdef', 'ENCtoken', 'wkAcc', 1700000000),
    { agentId: '1000002' },
  );
  const env = parseEnvelope(signed.body);
  assert.equal(env.agentId, '1000002');
  const inner = crypto.open(
    signed.query.msg_signature!,
    signed.query.timestamp!,
    signed.query.nonce!,
    env.encrypt,
  );
  assert.deepEqual(parseEvent(inner), {
    kind: 'kf_msg_or_event',
    token: 'ENCtoken',
    openKfId: 'wkAcc',
    createTime: 1700000000,
    toUserName: 'ww0123456789abcdef',
  });
});

test('event: kf_msg_or_event without Token or OpenKfId is an error', () => {
  expectParseError(
    () =>
      parseEvent('<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><OpenKfId>wk1</OpenKfId></xml>'),
    /Token/,
  );
  expectParseError(
    () => parseEvent('<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>T</Token></xml>'),
    /OpenKfId/,
  );
});

test('event: kf_account_auth_change with repeated and single elements', () => {
  const xml = `<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_account_auth_change]]></Event>
<AuthAddOpenKfId><![CDATA[wkA]]></AuthAddOpenKfId><AuthAddOpenKfId><![CDATA[wkB]]></AuthAddOpenKfId>
<AuthDelOpenKfId><![CDATA[wkC]]></AuthDelOpenKfId></xml>`;
  assert.deepEqual(parseEvent(xml), {
    kind: 'kf_account_auth_change',
    added: ['wkA', 'wkB'],
    removed: ['wkC'],
    createTime: 1700000000,
    toUserName: 'ww1',
  });
  const none = parseEvent('<xml><MsgType>event</MsgType><Event>kf_account_auth_change</Event></xml>');
  assert.deepEqual(none.kind === 'kf_account_auth_change' && [none.added, none.removed], [[], []]);
});

test('event: ordinary app messages and unknown events → other, never an error', () => {
  // Spec §2.2 B2 plaintext: a text message to the app; MsgId exceeds 2^53 and must not be coerced.
  const text = parseEvent(
    '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>',
  );
  assert.deepEqual(text, {
    kind: 'other',
    msgType: 'text',
    createTime: 1409659813,
    toUserName: 'wx5823bf96d3bd56c7',
  });
  const enter = parseEvent(
    '<xml><ToUserName>ww1</ToUserName><MsgType>event</MsgType><Event>enter_agent</Event><CreateTime>1</CreateTime></xml>',
  );
  assert.deepEqual(enter, {
    kind: 'other',
    msgType: 'event',
    event: 'enter_agent',
    createTime: 1,
    toUserName: 'ww1',
  });
  assert.deepEqual(parseEvent('<xml></xml>'), { kind: 'other', msgType: '' });
});

test('event: malformed XML → CallbackParseError', () => {
  expectParseError(() => parseEvent('<xml><MsgType>event</MsgType>'));
  expectParseError(() => parseEvent('<xml><a></b></xml>'));
  expectParseError(() => parseEvent('garbage'));
  // Spec §2.1 A3: decrypts fine but is not XML.
  expectParseError(() => parseEvent('{ "ToUserName": "wx5823bf96d3bd56c7", "FromUserName": :mycreate" }'));
});

const KF = (fields: string) => `<xml><MsgType>event</MsgType><Event>kf_msg_or_event</Event>${fields}</xml>`;

test('CDATA split around "]]>" (how XML writers escape it) is joined back into one value', () => {
  const ev = parseEvent(KF('<Token><![CDATA[ab]]]]><![CDATA[>cd]]></Token><OpenKfId>wk1</OpenKfId>'));
  assert.equal(ev.kind === 'kf_msg_or_event' && ev.token, 'ab]]>cd');
  // Text and CDATA mixed in one element, as some XML writers emit them.
  const env = parseEnvelope(
    `<xml><Encrypt>${ENCRYPT.slice(0, 20)}<![CDATA[${ENCRYPT.slice(20)}]]></Encrypt></xml>`,
  );
  assert.equal(env.encrypt, ENCRYPT);
});

test('entities are decoded outside CDATA (named and numeric) and left alone inside it', () => {
  const ev = parseEvent(
    KF(
      '<Token>a&amp;b&lt;c&gt;d&quot;e&apos;f&#x4e2d;&#25991;</Token><OpenKfId><![CDATA[wk&amp;1]]></OpenKfId>',
    ),
  );
  assert.deepEqual(ev.kind === 'kf_msg_or_event' && [ev.token, ev.openKfId], [
    'a&b<c>d"e\'f中文',
    'wk&amp;1',
  ]);
  // An entity XML does not define is malformed, never passed on as text.
  expectParseError(() => parseEvent(KF('<Token>&nbsp;</Token><OpenKfId>wk1</OpenKfId>')), /malformed/);
});

test('missing fields: no MsgType is an ordinary "other" event; elements nested inside a field do not leak into it', () => {
  assert.deepEqual(parseEvent('<xml><CreateTime>12</CreateTime></xml>'), {
    kind: 'other',
    msgType: '',
    createTime: 12,
  });
  const ev = parseEvent(KF('<Token>T<X><Token>inner</Token></X></Token><OpenKfId>wk1</OpenKfId>'));
  assert.equal(ev.kind === 'kf_msg_or_event' && ev.token, 'T');
});

test('entity-expansion (billion laughs) and deep nesting are refused before any expansion or deep walk', () => {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') +
    ']><xml><Encrypt>&lol9;</Encrypt></xml>';
  expectParseError(() => parseEnvelope(laughs), /DOCTYPE/);
  // Without a DOCTYPE an entity reference is simply undefined.
  expectParseError(() => parseEnvelope('<xml><Encrypt>&lol9;</Encrypt></xml>'), /malformed/);
  const deep = '<xml>' + '<a>'.repeat(100_000) + '</a>'.repeat(100_000) + '<Encrypt>x</Encrypt></xml>';
  expectParseError(() => parseEnvelope(deep), /nested deeper than 16/);
  expectParseError(() => parseEvent('<xml>' + '<a>'.repeat(100_000)), /nested deeper than 16/);
});

test('non-XML and not-quite-XML junk is malformed, and the next good callback still parses', () => {
  const good = `<xml><Encrypt><![CDATA[${ENCRYPT}]]></Encrypt></xml>`;
  for (const junk of [
    'garbage',
    '{"Encrypt": "abc"}',
    '<xml><Encrypt>abc</Encrypt></xml><xml></xml>',
    '<xml><Encrypt>abc</Encrypt></xml>trailing',
    '<xml a=b><Encrypt>abc</Encrypt></xml>',
    '<xml><Encrypt>a<b</Encrypt></xml>',
    '<xml><Encrypt><![CDATA[abc</Encrypt></xml>',
    '<xml><Encrypt>abc</Encrypt>',
    '<xml><Encrypt>abc</encrypt></xml>',
    '<xml>' + '<a>'.repeat(17),
  ]) {
    expectParseError(() => parseEnvelope(junk), /malformed|nested/);
    // The parser is reused between callbacks: a refused document must leave nothing behind.
    assert.deepEqual(parseEnvelope(good), { encrypt: ENCRYPT });
  }
});
