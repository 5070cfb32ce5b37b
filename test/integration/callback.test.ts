import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { WecomCrypto } from '../../src/wecom/crypto.js';
import { buildSignedCallback, kfEventXml } from '../../src/fakes/wecom/index.js';
import {
  AES_KEY,
  CORP_ID,
  KF,
  settle,
  startHarness,
  TOKEN,
  waitFor,
  type Harness,
} from '../helpers/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

const hook = () => `${h.server.url}/wechat/hook`;
const post = (query: Record<string, string>, body: string | Buffer, contentType = 'text/xml') =>
  request(`${hook()}?${new URLSearchParams(query)}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });

async function ping() {
  const res = await request(`${h.server.url}/ping`);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(await res.body.json(), { status: 'ok' });
}

test('URL verification as WeCom performs it answers the decrypted echostr', async () => {
  const r = await h.wecom.urlVerification();
  assert.equal(r.status, 200);
  assert.equal(r.body, r.expected);
});

test('URL verification with the official vector (+ / = URL-encoded) and with a bad signature', async () => {
  // Set A vector: our server is configured with its Token/AESKey/CorpID. It is signed in 2016, so
  // the route refuses it as a replay (the crypto itself is tested on it in wecom-crypto.test.ts);
  // the same echostr signed now passes, '+', '/' and '=' URL-encoded.
  const echostr = 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==';
  const q = {
    msg_signature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
    timestamp: '1476416373',
    nonce: '47744683',
    echostr,
  };
  const old = await request(`${hook()}?${new URLSearchParams(q)}`);
  assert.equal(old.statusCode, 400);
  assert.match(await old.body.text(), /timestamp outside the allowed window/);
  const now = String(Math.floor(Date.now() / 1000));
  const crypto = new WecomCrypto(TOKEN, AES_KEY, CORP_ID);
  const ok = await request(
    `${hook()}?${new URLSearchParams({ ...q, timestamp: now, msg_signature: crypto.sign(now, q.nonce, echostr) })}`,
  );
  assert.equal(ok.statusCode, 200);
  assert.equal(await ok.body.text(), '1288432023552776189');
  const bad = await request(
    `${hook()}?${new URLSearchParams({ ...q, msg_signature: '112bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb' })}`,
  );
  assert.ok(bad.statusCode >= 400 && bad.statusCode < 500);
  assert.match(await bad.body.text(), /signature/i);
  const missing = await request(`${hook()}?timestamp=1&nonce=2`);
  assert.equal(missing.statusCode, 400);
});

test('every malformed callback gets a 4xx with a reason; nothing is pulled or sent; the server stays healthy', async () => {
  const crypto = new WecomCrypto(TOKEN, AES_KEY, CORP_ID);
  const good = buildSignedCallback(crypto, CORP_ID, kfEventXml(CORP_ID, 'ENCTOKEN', KF));
  const enc = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(good.body)![1]!;
  const otherCorp = buildSignedCallback(
    new WecomCrypto(TOKEN, AES_KEY, 'wwffffffffffffffff'),
    'wwffffffffffffffff',
    kfEventXml('wwffffffffffffffff', 'T', KF),
  );
  const tampered = enc.slice(0, 20) + (enc[20] === 'A' ? 'B' : 'A') + enc.slice(21);
  const resign = (encrypt: string) => {
    const q = {
      ...good.query,
      msg_signature: crypto.sign(good.query.timestamp!, good.query.nonce!, encrypt),
    };
    return { q, body: good.body.replace(enc, encrypt) };
  };
  const t1 = resign(tampered);
  const t2 = resign(enc.slice(0, 64));
  const t3 = resign('!!!notbase64!!!');
  const unparsable = buildSignedCallback(crypto, CORP_ID, '<xml><MsgType>event<');
  const kfWithoutToken = buildSignedCallback(
    crypto,
    CORP_ID,
    `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event></xml>`,
  );
  const cases: [string, Promise<Awaited<ReturnType<typeof post>>>][] = [
    ['bad signature', post({ ...good.query, msg_signature: '0'.repeat(40) }, good.body)],
    ['tampered ciphertext (re-signed)', post(t1.q, t1.body)],
    ['truncated ciphertext (re-signed)', post(t2.q, t2.body)],
    ['not base64', post(t3.q, t3.body)],
    ['wrong corp id', post(otherCorp.query, otherCorp.body)],
    ['malformed outer XML', post(good.query, '<xml><Encrypt>')],
    ['XML without Encrypt', post(good.query, '<xml><ToUserName>x</ToUserName></xml>')],
    ['malformed inner XML', post(unparsable.query, unparsable.body)],
    ['kf event without Token', post(kfWithoutToken.query, kfWithoutToken.body)],
    ['empty body', post(good.query, '')],
    ['missing query', post({}, good.body)],
    ['oversized body', post(good.query, `<xml><Encrypt><![CDATA[${'A'.repeat(200_000)}]]></Encrypt></xml>`)],
  ];
  for (const [name, p] of cases) {
    const res = await p;
    const text = await res.body.text();
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${name}: got ${res.statusCode} ${text}`);
    assert.ok(text.length > 0 && text.length < 200, `${name}: short reason, got ${JSON.stringify(text)}`);
  }
  await settle(200);
  await ping();
  assert.equal(h.wecom.calls.filter((c) => c.path.includes('sync_msg')).length, 0, 'nothing was pulled');
  assert.equal(h.wecom.sent.length, 0);
  assert.equal(h.coze.chats.length, 0);
});

test('other events on the same URL are acknowledged with success, never an error', async () => {
  const crypto = new WecomCrypto(TOKEN, AES_KEY, CORP_ID);
  for (const inner of [
    `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_account_auth_change]]></Event><AuthAddOpenKfId><![CDATA[wkA]]></AuthAddOpenKfId><AuthAddOpenKfId><![CDATA[wkB]]></AuthAddOpenKfId></xml>`,
    `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>`,
    `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi app]]></Content><MsgId>123</MsgId></xml>`,
  ]) {
    const cb = buildSignedCallback(crypto, CORP_ID, inner);
    const res = await post(cb.query, cb.body);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'success');
  }
  assert.equal(h.coze.chats.length, 0);
});

test('a steady stream of callbacks costs at most one sync_msg per 25 ms, and the last message is still answered', async () => {
  // WeCom rate-limits sync_msg (45009); a busy account's callbacks used to start a pull each
  // whenever the previous pull had already ended.
  const calls = () => h.wecom.calls.filter((c) => c.path.includes('sync_msg')).length;
  const before = calls();
  const started = performance.now();
  for (let i = 0; i < 80; i++) {
    assert.deepEqual(await h.wecom.deliverCallback(KF, { times: 1 }), [200]);
    await new Promise((r) => setTimeout(r, 5));
  }
  await h.wecom.customerSends(KF, 'wmStream', { text: '最后一条' });
  await settle(300);
  const elapsed = performance.now() - started;
  const pulls = calls() - before;
  assert.ok(pulls <= Math.ceil(elapsed / 25) + 2, `${pulls} sync_msg calls in ${elapsed.toFixed(0)} ms`);
  assert.ok(pulls >= 2, 'callbacks still cause pulls');
  await waitFor('the message after the stream', () => h.wecom.sentTo('wmStream').length === 1);
});
