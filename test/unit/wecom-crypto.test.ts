import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import {
  WecomCrypto,
  WecomCryptoError,
  generateEncodingAesKey,
  generateToken,
} from '../../src/wecom/crypto.js';

// ---- Official vectors, docs/protocol.md §crypto-vectors (verbatim) ----
const A = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  key: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  receiveId: 'ww1436e0e65a779aee',
};
const A1 = {
  sig: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
  ts: '1476416373',
  nonce: '47744683',
  echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
  plain: '1288432023552776189',
  random: '8908d0ff052afda0',
};
const A2 = {
  sig: '0c3914025cb4b4d68103f6bfc8db550f79dcf48e',
  ts: '1476422779',
  nonce: '1597212914',
  encrypt:
    'Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+',
  plain:
    '<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>',
  random: '694ce5a83ae07fe3',
};
const B = {
  token: 'QDG6eK',
  key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
};
const B1 = {
  sig: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  ts: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  wire: 'P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D',
  plain: '1616140317555161061',
  random: 'c41b64491c2468d0',
};
const B2 = {
  sig: '477715d11cdb4164915debcba66cb864d751f3e6',
  ts: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
  plain:
    '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>',
  random: '0960688932c47ef1',
};
// Spec §2.4: derived kf vector (Set B key).
const KF = {
  ts: '1409659813',
  nonce: '1372623149',
  random: '0123456789abcdef',
  sig: '80b4e7d66322fb834976d88f1be4158ff3dd6830',
  plain:
    '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q]]></OpenKfId></xml>',
  encrypt:
    'sKqRbbiSUnDhFHOvPjtUMc0r+4pkojrwLyrqr5QGn4Jw22aIbHY3Gg49O55FMrF3bIF+uiJopjQvC+Vv8N7w7Kf+og5Ina4gvVf6FJSxEtRUbdQ1h6JMuwislyeSRxSGM49XtFBUSiRMshJdvS0KHwkprQ+McyeLVqFNun5Sv9EzKMYdr1rONgqSOG68wirXV+o4hAAHW2r4Go2x9M69OYIATOXgGHBufIqumEtBwaWZihOwjNflsJrSA87QcligbFMBruHbVT/Jrv76C4PCO525ert3WxRqIW9neF/jdR/embZ3i6S2Doh+ekEGo/8hXmjqyvCbGEbfH2sg2u4t3JIaU+D9HCz7stTPMXcU2DbyV8JRenNp+bfsYemdWWIEqC6bbRY9qAIPq140hiNFk3oW1TpNa+IXTn9Rh3HIbCLWNqqTAMLdZlAh4b/oUI08H1wbH5vuTY5DmQczk3gE4N3jGotSX9zTFMWnizXhYUCfOBLajMnz2/VSloHa+KJ9',
};

const cryptoA = () => new WecomCrypto(A.token, A.key, A.receiveId);
const cryptoB = () => new WecomCrypto(B.token, B.key, B.receiveId);

function expectCode(fn: () => unknown, code: number | number[]) {
  const codes = Array.isArray(code) ? code : [code];
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WecomCryptoError, `expected WecomCryptoError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `code ${err.code} not in ${codes.join(',')}`);
    assert.ok(err.reason.length > 0);
    return true;
  });
}

test('A1: VerifyURL echostr', () => {
  const c = cryptoA();
  assert.equal(c.sign(A1.ts, A1.nonce, A1.echostr), A1.sig);
  assert.equal(c.verifyUrl(A1.sig, A1.ts, A1.nonce, A1.echostr), A1.plain);
});

test('A2: DecryptMsg with multi-byte UTF-8 (msg_len counts bytes)', () => {
  const c = cryptoA();
  assert.ok(c.verify(A2.sig, A2.ts, A2.nonce, A2.encrypt));
  assert.equal(c.open(A2.sig, A2.ts, A2.nonce, A2.encrypt), A2.plain);
  assert.equal(Buffer.byteLength(A2.plain), 228);
  assert.equal(
    c.encrypt(A2.plain, Buffer.from(A2.random)),
    A2.encrypt,
    're-encryption reproduces the official ciphertext',
  );
});

test('B1: VerifyURL, also when the echostr arrives URL-encoded and decoded once, or with + turned into spaces', () => {
  const c = cryptoB();
  assert.equal(c.verifyUrl(B1.sig, B1.ts, B1.nonce, B1.echostr), B1.plain);
  assert.equal(c.verifyUrl(B1.sig, B1.ts, B1.nonce, decodeURIComponent(B1.wire)), B1.plain);
  assert.equal(c.verifyUrl(B1.sig, B1.ts, B1.nonce, B1.echostr.replace(/\+/g, ' ')), B1.plain);
  assert.equal(c.encrypt(B1.plain, Buffer.from(B1.random)), B1.echostr);
});

test('B2: DecryptMsg with pad 30 (needs 32-byte PKCS#7, not Node auto-padding)', () => {
  const c = cryptoB();
  // The official doc's worked example of the sorted concatenation.
  assert.equal(c.sign(B2.ts, B2.nonce, B2.encrypt), B2.sig);
  const { message, receiveId } = c.decrypt(B2.encrypt);
  assert.equal(message, B2.plain);
  assert.equal(receiveId, B.receiveId);
  assert.equal(c.open(B2.sig, B2.ts, B2.nonce, B2.encrypt), B2.plain);
  assert.equal(c.encrypt(B2.plain, Buffer.from(B2.random)), B2.encrypt);
});

test('§2.4 derived kf vector: decrypt, signature, deterministic re-encrypt', () => {
  const c = cryptoB();
  assert.equal(c.open(KF.sig, KF.ts, KF.nonce, KF.encrypt), KF.plain);
  const again = c.encrypt(KF.plain, Buffer.from(KF.random));
  assert.equal(again, KF.encrypt);
  assert.equal(c.sign(KF.ts, KF.nonce, again), KF.sig);
});

test('negative: flipped signature → -40001 and verify() false', () => {
  const c = cryptoB();
  const flipped = (B2.sig[0] === '4' ? '5' : '4') + B2.sig.slice(1);
  assert.equal(c.verify(flipped, B2.ts, B2.nonce, B2.encrypt), false);
  assert.equal(c.verify(B2.sig.slice(0, 39), B2.ts, B2.nonce, B2.encrypt), false, 'short signature');
  assert.equal(
    c.verify(B2.sig.toUpperCase(), B2.ts, B2.nonce, B2.encrypt),
    true,
    'hex case is not significant',
  );
  expectCode(() => c.open(flipped, B2.ts, B2.nonce, B2.encrypt), -40001);
  expectCode(() => c.verifyUrl(flipped, B2.ts, B2.nonce, B2.encrypt), -40001);
  // Tampered timestamp with the right signature also fails.
  expectCode(() => c.open(B2.sig, '1409659814', B2.nonce, B2.encrypt), -40001);
});

test('negative: Set A key on Set B ciphertext → -40007/-40008, never an uncaught exception', () => {
  // The last plaintext byte comes out as 96 (the spec says 253; either way not in 1..32).
  expectCode(() => cryptoA().decrypt(B2.encrypt), -40007);
});

test('negative: wrong expected receiveId → -40005', () => {
  const c = new WecomCrypto(A.token, A.key, 'wx5823bf96d3bd56c7');
  expectCode(() => c.open(A2.sig, A2.ts, A2.nonce, A2.encrypt), -40005);
  // decrypt() alone still reports the actual receive id.
  assert.equal(c.decrypt(A2.encrypt).receiveId, A.receiveId);
});

test('negative: truncated and tampered ciphertext', () => {
  const c = cryptoB();
  const raw = Buffer.from(B2.encrypt, 'base64');
  expectCode(() => c.decrypt(raw.subarray(0, raw.length - 5).toString('base64')), -40007); // not whole blocks
  expectCode(() => c.decrypt(raw.subarray(0, 16).toString('base64')), [-40007, -40008]); // one block only
  const lastBlockFlipped = Buffer.from(raw);
  // In CBC, flipping the last byte of the previous block flips the pad byte: 30 ^ 0xff = 225.
  lastBlockFlipped[lastBlockFlipped.length - 17]! ^= 0xff;
  expectCode(() => c.decrypt(lastBlockFlipped.toString('base64')), [-40007, -40008]);
  expectCode(() => c.decrypt(''), -40010);
});

test('negative: non-base64 input → -40010', () => {
  const c = cryptoB();
  expectCode(() => c.decrypt('not base64 at all!'), -40010);
  expectCode(() => c.decrypt(B2.encrypt.slice(0, -4) + '@@@='), -40010);
  expectCode(() => c.decrypt(B2.encrypt.slice(1)), -40010); // length not a multiple of 4
  // What Node's lenient decoder would take silently: the URL-safe alphabet, and whitespace it skips.
  const urlSafe = Buffer.from(B2.encrypt, 'base64').toString('base64url').padEnd(B2.encrypt.length, '=');
  assert.notEqual(urlSafe, B2.encrypt, 'the vector has a + or / to swap');
  expectCode(() => c.decrypt(urlSafe), -40010);
  expectCode(() => c.decrypt(`${B2.encrypt.slice(0, 8)}    ${B2.encrypt.slice(12)}`), -40010);
});

test('regression: Node auto-padding cannot decrypt B2 (why setAutoPadding(false) is required)', () => {
  const key = Buffer.from(B.key + '=', 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  assert.throws(() => Buffer.concat([decipher.update(Buffer.from(B2.encrypt, 'base64')), decipher.final()]));
  assert.doesNotThrow(() => cryptoB().decrypt(B2.encrypt));
});

test('bad EncodingAESKey → -40004', () => {
  expectCode(() => new WecomCrypto('t', 'short', 'ww1'), -40004);
  expectCode(() => new WecomCrypto('t', B.key + 'x', 'ww1'), -40004);
});

test('generated Token / EncodingAESKey work in a round trip', () => {
  for (let i = 0; i < 20; i++) {
    const token = generateToken();
    const key = generateEncodingAesKey();
    assert.match(token, /^[A-Za-z0-9]{32}$/);
    assert.match(key, /^[A-Za-z0-9]{43}$/);
    assert.equal(Buffer.from(key + '=', 'base64').length, 32);
    const c = new WecomCrypto(token, key, 'ww0123456789abcdef');
    const msg = `<xml><Content>你好 ${i} ${'x'.repeat(i * 7)}</Content></xml>`;
    const enc = c.encrypt(msg);
    const sig = c.sign('1700000000', '42', enc);
    assert.equal(c.open(sig, '1700000000', '42', enc), msg);
  }
  assert.notEqual(generateToken(), generateToken());
});

test('encrypt: fresh random prefix by default, padding always to a multiple of 32 bytes', () => {
  const c = cryptoB();
  assert.notEqual(c.encrypt('same'), c.encrypt('same'));
  for (let n = 0; n < 70; n++) {
    const raw = Buffer.from(c.encrypt('a'.repeat(n)), 'base64');
    assert.equal(raw.length % 32, 0);
    assert.equal(c.decrypt(raw.toString('base64')).message, 'a'.repeat(n));
  }
});

test('one instance decrypts callback after callback: no state carried from one message (or failure) to the next', () => {
  // decrypt() reuses one block decipher and chains CBC itself: every message must start again from the IV,
  // whatever came before it (other lengths, a tampered message, a message of another app).
  const c = cryptoA();
  const messages = ['a', '你好'.repeat(40), 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(1000), A1.plain];
  const sealed = messages.map((m) => c.encrypt(m));
  for (let round = 0; round < 2; round++) {
    for (const [i, enc] of sealed.entries()) {
      assert.deepEqual(c.decrypt(enc), { message: messages[i], receiveId: A.receiveId });
      const tampered = Buffer.from(enc, 'base64');
      tampered[tampered.length - 17]! ^= 0xff;
      assert.throws(() => c.decrypt(tampered.toString('base64')), WecomCryptoError);
      expectCode(() => c.decrypt(B2.encrypt), -40007);
    }
  }
  assert.equal(
    c.open(A2.sig, A2.ts, A2.nonce, A2.encrypt),
    cryptoA().open(A2.sig, A2.ts, A2.nonce, A2.encrypt),
  );
});
