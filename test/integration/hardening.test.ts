/**
 * Issue 10's attack cases against the real server, as outcomes: a request that used to freeze the
 * event loop gets a correct answer or a clear 400; slow connections are closed by the server;
 * junk callbacks get a short fixed answer and a bounded log line; replayed callbacks are refused;
 * /metrics counts refusals and is served to this machine only. (How long each takes is measured
 * by the bench's stall phase, not here.)
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { buildSignedCallback, kfEventXml } from '../../src/fakes/wecom/index.js';
import { WecomCrypto } from '../../src/wecom/crypto.js';
import {
  AES_KEY,
  BOT_ID,
  CORP_ID,
  KF,
  startHarness,
  TOKEN,
  waitFor,
  type Harness,
} from '../helpers/harness.js';
import { captureLogger } from '../helpers/wecom-fake.js';

const KEY = 'sk-test-hardening-0001';
const MODEL = `coze-bot-${BOT_ID}`;
const METRICS_TOKEN = 'metrics-token-0123456789';
const lines: string[] = [];
let h: Harness;
before(async () => {
  h = await startHarness(
    {
      WXCOZE_API_KEYS: KEY,
      WXCOZE_REQUEST_TIMEOUT_MS: '3000',
      WXCOZE_HEADERS_TIMEOUT_MS: '1000',
      WXCOZE_MAX_PENDING_PER_CLIENT: '4',
      WXCOZE_METRICS_TOKEN: METRICS_TOKEN,
    },
    { logger: captureLogger(lines), timeoutCheckIntervalMs: 200 },
  );
});
after(async () => {
  await h.close();
});

const crypto = new WecomCrypto(TOKEN, AES_KEY, CORP_ID);
const chat = (body: string | Record<string, unknown>) =>
  request(`${h.server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const postHook = (query: Record<string, string>, body: string) =>
  request(`${h.server.url}/wechat/hook?${new URLSearchParams(query)}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/xml' },
  });
const metric = async (result: string): Promise<number> => {
  const res = await h.server.app.inject({ method: 'GET', url: '/metrics' });
  return Number(
    new RegExp(`^wxcoze_callbacks_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(res.body)?.[1] ?? 0,
  );
};

test('a 360 KB assistant message of "<details " × 40,000 gets a normal answer, passed on unchanged', async () => {
  const junk = '<details '.repeat(40_000);
  const res = await chat({
    model: MODEL,
    messages: [
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: junk },
      { role: 'user', content: 'q2' },
    ],
  });
  assert.equal(res.statusCode, 200, await res.body.text());
  const sent = h.coze.chats.at(-1)!.messages;
  assert.equal(sent[1]!.content, junk.trim(), 'no reasoning block in it, so nothing is removed');
  assert.equal(sent[2]!.content, 'q2');
});

test('a body nested 1,000,000 levels deep is a 400 that says why; the server keeps answering', async () => {
  const deep = `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
  const res = await chat(deep);
  assert.equal(res.statusCode, 400);
  const err = ((await res.body.json()) as { error: { message: string; type: string } }).error;
  assert.match(err.message, /nested deeper than 64 levels/);
  assert.equal(err.type, 'invalid_request_error');
  // 2.5 M deep fills the 5 MB limit: refused while the client is still sending, twice in a row.
  for (let i = 0; i < 2; i++) {
    const big = await chat(
      `{"model":"${MODEL}","messages":[],"x":${'['.repeat(2_500_000)}${']'.repeat(2_500_000)}}`,
    ).catch((e: Error) => e);
    if (!(big instanceof Error)) {
      assert.equal(big.statusCode, 400);
      await big.body.text();
    }
  }
  const ok = await chat({ model: MODEL, messages: [{ role: 'user', content: 'still there?' }] });
  assert.equal(ok.statusCode, 200);
});

test('prototype poisoning in a chat body is refused', async () => {
  const res = await chat(
    `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":1}}`,
  );
  assert.equal(res.statusCode, 400);
  assert.match(await res.body.text(), /forbidden key/);
});

/** Opens a raw connection, writes `head`, and resolves with what the server sent when it closed it. */
function holdOpen(head: string): Promise<{ data: string; sock: Socket }> {
  const u = new URL(h.server.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => sock.write(head));
    let data = '';
    sock.on('data', (d: Buffer) => {
      data += d.toString();
    });
    sock.on('error', () => {});
    sock.on('close', () => resolve({ data, sock }));
    setTimeout(() => {
      sock.destroy();
      reject(new Error('the server kept the connection open'));
    }, 10_000).unref();
  });
}

test('a connection that sends headers and withholds the body is closed by the server (408)', async () => {
  const r = await holdOpen(
    `POST /wechat/hook?msg_signature=${'0'.repeat(40)}&timestamp=1&nonce=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<xml>`,
  );
  assert.match(r.data, /^HTTP\/1\.1 408/);
  assert.ok(
    lines.some((l) => l.includes('request did not arrive within 3000 ms')),
    'the timeout is logged',
  );
});

test('a connection that trickles its headers is closed by the server', async () => {
  const u = new URL(h.server.url);
  const closed = await new Promise<boolean>((resolve) => {
    const sock = connect(Number(u.port), u.hostname, () => sock.write('GET /ping HTTP/1.1\r\nHost: x\r\n'));
    const drip = setInterval(() => sock.writable && sock.write('X-Slow: 1\r\n'), 200);
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(drip);
      resolve(true);
    });
    setTimeout(() => {
      clearInterval(drip);
      sock.destroy();
      resolve(false);
    }, 10_000).unref();
  });
  assert.ok(closed, 'the server closed the trickling connection');
});

test('one client cannot hold more slow requests than WXCOZE_MAX_PENDING_PER_CLIENT; other clients are unaffected', async () => {
  const u = new URL(h.server.url);
  // Through the local proxy (loopback peer) from a public address: the forwarded address is the client.
  const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n{`;
  const open = (): { sock: Socket; answer: () => string } => {
    let answer = '';
    const sock = connect(Number(u.port), u.hostname, () => sock.write(head));
    sock.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    sock.on('error', () => {});
    return { sock, answer: () => answer };
  };
  const slow = Array.from({ length: 4 }, open);
  await new Promise((r) => setTimeout(r, 1300)); // past SLOW_MS: the four now count as slow
  const fifth = open();
  await waitFor('the fifth request refused', () => fifth.answer().startsWith('HTTP/1.1 429'), 1500);
  assert.ok(
    slow.every((s) => s.answer() === ''),
    'the first four are still waiting for their bodies',
  );
  // Another client is still served meanwhile, and so is a proxy's own (private) address.
  for (const xff of ['198.51.100.9', '10.0.0.5']) {
    const res = await request(`${h.server.url}/ping`, { headers: { 'x-forwarded-for': xff } });
    assert.equal(res.statusCode, 200);
    await res.body.text();
  }
  for (const s of [...slow, fifth]) s.sock.destroy();
});

test('a 60 KB unsigned body of junk tags gets a short fixed 400 and one bounded log line', async () => {
  lines.length = 0;
  const junk = `<xml>${Array.from({ length: 3000 }, (_, i) => `<t${i}a>`).join('')}`.padEnd(60_000, 'x');
  const before = await metric('malformed');
  const res = await postHook({ msg_signature: '0'.repeat(40), timestamp: '1', nonce: '1' }, junk);
  const text = await res.body.text();
  assert.equal(res.statusCode, 400);
  assert.equal(text, 'malformed callback XML');
  const rejected = lines.filter((l) => l.includes('callback rejected'));
  assert.equal(rejected.length, 1);
  assert.ok(rejected[0]!.length < 600, `bounded log line, got ${rejected[0]!.length} chars`);
  assert.equal(await metric('malformed'), before + 1);
});

test('a flood of rejected callbacks logs at most 10 warnings a minute; /metrics counts every one', async () => {
  lines.length = 0;
  const before = await metric('bad_signature');
  for (let i = 0; i < 30; i++) {
    const res = await postHook(
      { msg_signature: 'f'.repeat(40), timestamp: String(Math.floor(Date.now() / 1000)), nonce: String(i) },
      '<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>',
    );
    assert.equal(res.statusCode, 401);
    assert.equal(await res.body.text(), 'bad signature');
  }
  assert.equal(lines.filter((l) => l.includes('callback rejected')).length, 10);
  assert.equal(await metric('bad_signature'), before + 30);
});

test('signed callbacks with a timestamp outside the window are refused; inside it they are accepted', async () => {
  const now = Math.floor(Date.now() / 1000);
  const sync = () => h.wecom.calls.filter((c) => c.path.includes('sync_msg')).length;
  const cases: [string, number, number][] = [
    ['30 days old', now - 30 * 86_400, 400],
    ['timestamp 0', 0, 400],
    ['a year ahead', now + 365 * 86_400, 400],
    ['11 minutes old', now - 660, 400],
    ['5 minutes old (a WeCom retry, a clock slightly off)', now - 300, 200],
    ['now', now, 200],
  ];
  const staleBefore = await metric('stale_timestamp');
  for (const [name, ts, status] of cases) {
    const cb = buildSignedCallback(crypto, CORP_ID, kfEventXml(CORP_ID, `T-${ts}`, KF), {
      timestamp: String(ts),
    });
    const before = sync();
    const res = await postHook(cb.query, cb.body);
    const text = await res.body.text();
    assert.equal(res.statusCode, status, `${name}: ${text}`);
    if (status === 400) {
      assert.match(text, /timestamp outside the allowed window/);
      assert.equal(sync(), before, `${name}: nothing pulled`);
    } else {
      assert.equal(text, 'success');
      await waitFor(`${name}: pulled`, () => sync() > before);
    }
  }
  assert.equal(await metric('stale_timestamp'), staleBefore + 4);
  assert.ok(
    lines.some((l) => /"skewS":-2592000/.test(l)),
    'the skew is logged',
  );
});

test('/metrics: Prometheus text from this machine; refused from elsewhere without the token, even through the local proxy', async () => {
  const local = await h.server.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(local.statusCode, 200);
  assert.match(local.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  assert.match(local.body, /# TYPE wxcoze_callbacks_total counter/);
  assert.match(local.body, /wxcoze_process_cpu_user_seconds_total/);
  const remote = await h.server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.5' });
  assert.equal(remote.statusCode, 403);
  assert.match(remote.body, /WXCOZE_METRICS_TOKEN/);
  const proxied = await h.server.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { 'x-forwarded-for': '203.0.113.5' },
  });
  assert.equal(proxied.statusCode, 403, 'a remote client through Caddy is not local');
  const wrong = await h.server.app.inject({
    method: 'GET',
    url: '/metrics',
    remoteAddress: '203.0.113.5',
    headers: { authorization: 'Bearer nope' },
  });
  assert.equal(wrong.statusCode, 403);
  const withToken = await h.server.app.inject({
    method: 'GET',
    url: '/metrics',
    remoteAddress: '203.0.113.5',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  assert.equal(withToken.statusCode, 200);
  assert.match(withToken.body, /wxcoze_callbacks_total\{result="stale_timestamp"\} \d+/);
});
