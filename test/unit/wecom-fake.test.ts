/** The fake's callback side: what it POSTs/GETs must be exactly what WeCom would send (docs/protocol.md §callback-verify, §callback-push, §callback-delivery). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startFakeWecom } from '../../src/fakes/wecom/index.js';
import { parseEnvelope, parseEvent } from '../../src/wecom/callback.js';
import { WecomCrypto } from '../../src/wecom/crypto.js';

interface Received {
  method: string;
  query: URLSearchParams;
  body: string;
}

async function receiver(handle: (r: Received, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method!, query: new URL(req.url!, 'http://x').searchParams, body };
      received.push(r);
      handle(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('customerSends delivers a signed, encrypted kf_msg_or_event whose Token works for sync_msg', async () => {
  const rx = await receiver((_r, res) => res.end(''));
  const fake = await startFakeWecom({ callbackUrl: rx.url });
  try {
    const msgid = await fake.customerSends('wkA', 'wmU', { text: 'hello' });
    assert.equal(rx.received.length, 1);
    const r = rx.received[0]!;
    assert.equal(r.method, 'POST');
    const env = parseEnvelope(r.body);
    assert.equal(env.toUserName, fake.corpId);
    assert.equal(env.agentId, fake.agentId);
    // The bridge's crypto, configured from the fake's console values, opens it.
    const crypto = new WecomCrypto(fake.callbackToken, fake.encodingAesKey, fake.corpId);
    const inner = crypto.open(
      r.query.get('msg_signature')!,
      r.query.get('timestamp')!,
      r.query.get('nonce')!,
      env.encrypt,
    );
    const ev = parseEvent(inner);
    assert.equal(ev.kind, 'kf_msg_or_event');
    if (ev.kind !== 'kf_msg_or_event') return;
    assert.equal(ev.openKfId, 'wkA');
    assert.match(ev.token, /^ENC[A-Za-z0-9]{44}$/);
    // The Token authorises sync_msg.
    const tok = await request(
      `${fake.url}/cgi-bin/gettoken?corpid=${fake.corpId}&corpsecret=${fake.secret}`,
    ).then((x) => x.body.json() as Promise<any>);
    const page = await request(`${fake.url}/cgi-bin/kf/sync_msg?access_token=${tok.access_token}`, {
      method: 'POST',
      body: JSON.stringify({ open_kfid: 'wkA', token: ev.token }),
      headers: { 'content-type': 'application/json' },
    }).then((x) => x.body.json() as Promise<any>);
    assert.equal(page.errcode, 0);
    assert.equal(page.has_more, 0);
    assert.equal(page.msg_list[0].msgid, msgid);
    assert.ok(msgid.length >= 24);
  } finally {
    await fake.close();
    await rx.close();
  }
});

test('callback retry rule: non-200 is retried 3 times at most; times:n delivers duplicates', async () => {
  let failures = 2;
  const rx = await receiver((_r, res) => {
    res.statusCode = failures-- > 0 ? 500 : 200;
    res.end('');
  });
  const fake = await startFakeWecom({ callbackUrl: rx.url });
  try {
    assert.deepEqual(await fake.deliverCallback('wkA'), [500, 500, 200]);
    failures = 10;
    assert.deepEqual(await fake.deliverCallback('wkA'), [500, 500, 500, 500]);
    failures = 0;
    assert.deepEqual(await fake.deliverCallback('wkA', { times: 2 }), [200, 200]);
    // A duplicate is the very same request: same signature, same Encrypt.
    const [a, b] = rx.received.slice(-2);
    assert.equal(a!.body, b!.body);
    assert.equal(a!.query.get('msg_signature'), b!.query.get('msg_signature'));
  } finally {
    await fake.close();
    await rx.close();
  }
});

test('callback retry rule: no answer within the timeout counts as a failure', async () => {
  let first = true;
  const rx = await receiver((_r, res) => {
    if (first) {
      first = false;
      setTimeout(() => res.end(''), 400);
    } else res.end('');
  });
  const fake = await startFakeWecom({ callbackUrl: rx.url, callbackTimeoutMs: 150 });
  try {
    assert.deepEqual(await fake.deliverCallback('wkA'), [0, 200]);
  } finally {
    await fake.close();
    await rx.close();
  }
});

test('urlVerification: GET with URL-encoded echostr; expected is the plaintext', async () => {
  const crypto = { current: undefined as WecomCrypto | undefined };
  const rx = await receiver((r, res) => {
    res.end(
      crypto.current!.verifyUrl(
        r.query.get('msg_signature')!,
        r.query.get('timestamp')!,
        r.query.get('nonce')!,
        r.query.get('echostr')!,
      ),
    );
  });
  const fake = await startFakeWecom({ callbackUrl: rx.url });
  crypto.current = new WecomCrypto(fake.callbackToken, fake.encodingAesKey, fake.corpId);
  try {
    const v = await fake.urlVerification();
    assert.equal(v.status, 200);
    assert.match(v.expected, /^\d{19}$/);
    assert.equal(v.body, v.expected);
    assert.equal(rx.received[0]!.method, 'GET');
  } finally {
    await fake.close();
    await rx.close();
  }
});

test('API access token checks: missing 41001, unknown 40014; bad JSON 47001 with HTTP 200', async () => {
  const fake = await startFakeWecom();
  try {
    const post = async (qs: string, body: string) => {
      const res = await request(`${fake.url}/cgi-bin/kf/account/list${qs}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      return { status: res.statusCode, json: (await res.body.json()) as any };
    };
    assert.deepEqual(((r) => [r.status, r.json.errcode])(await post('', '{}')), [200, 41001]);
    assert.equal((await post('?access_token=nope', '{}')).json.errcode, 40014);
    const tok = await request(
      `${fake.url}/cgi-bin/gettoken?corpid=${fake.corpId}&corpsecret=${fake.secret}`,
    ).then((x) => x.body.json() as Promise<any>);
    assert.equal(tok.expires_in, 7200);
    assert.equal((await post(`?access_token=${tok.access_token}`, '{bad')).json.errcode, 47001);
    assert.equal(
      (
        await request(`${fake.url}/cgi-bin/gettoken?corpid=wwnope&corpsecret=${fake.secret}`).then(
          (x) => x.body.json() as Promise<any>,
        )
      ).errcode,
      40013,
    );
    // Calls are logged without credentials.
    assert.ok(!JSON.stringify(fake.calls).includes(tok.access_token));
    assert.ok(!JSON.stringify(fake.calls).includes(fake.secret));
  } finally {
    await fake.close();
  }
});
