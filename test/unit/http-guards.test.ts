import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { clientAddress, isInternalAddress, isLocalRequest } from '../../src/server/client-address.js';
import { jsonShapeProblem, parseJsonBody } from '../../src/server/json-body.js';
import { WarnLimiter } from '../../src/log/warn-limiter.js';

const req = (peer: string, xff?: string | string[]) => ({
  socket: { remoteAddress: peer },
  headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
});

test('clientAddress: the peer, or the last X-Forwarded-For entry when the peer is loopback (Caddy)', () => {
  assert.equal(clientAddress(req('203.0.113.4')), '203.0.113.4');
  assert.equal(
    clientAddress(req('203.0.113.4', '127.0.0.1')),
    '203.0.113.4',
    'a remote peer cannot claim to be local',
  );
  assert.equal(clientAddress(req('::ffff:198.51.100.2')), '198.51.100.2');
  assert.equal(clientAddress(req('127.0.0.1')), '127.0.0.1');
  assert.equal(clientAddress(req('127.0.0.1', '203.0.113.9')), '203.0.113.9');
  assert.equal(
    clientAddress(req('::1', '127.0.0.1, 203.0.113.9')),
    '203.0.113.9',
    "the leftmost entries are the client's own claims",
  );
  assert.equal(clientAddress(req('127.0.0.1', ['1.1.1.1', '2001:db8::1'])), '2001:db8::1');
  assert.equal(clientAddress(req('127.0.0.1', 'not-an-ip')), '127.0.0.1');
  assert.equal(isLocalRequest(req('127.0.0.1')), true);
  assert.equal(isLocalRequest(req('127.0.0.1', '203.0.113.9')), false);
  assert.equal(isLocalRequest(req('10.0.0.1')), false);
  for (const a of [
    '127.0.0.1',
    '::1',
    '10.1.2.3',
    '172.18.0.2',
    '192.168.1.1',
    '::ffff:172.20.0.3',
    'fd00::1',
  ])
    assert.equal(isInternalAddress(a), true, a);
  for (const a of ['203.0.113.7', '8.8.8.8', '172.32.0.1', '2001:db8::1', 'junk'])
    assert.equal(isInternalAddress(a), false, a);
});

test('JSON pre-scan: depth and value count refused before parsing; strings (escaped quotes, brackets) skipped', () => {
  assert.match(jsonShapeProblem(Buffer.from('['.repeat(65) + ']'.repeat(65)))!, /deeper than 64/);
  assert.equal(jsonShapeProblem(Buffer.from('['.repeat(64) + ']'.repeat(64))), null);
  assert.equal(
    jsonShapeProblem(Buffer.from(JSON.stringify({ a: '[[[[\\"{{{{'.repeat(100), b: ['\\'] }))),
    null,
  );
  assert.match(jsonShapeProblem(Buffer.from(`[${'1,'.repeat(60_000)}1]`))!, /more than 50000 values/);
  assert.match(
    jsonShapeProblem(Buffer.from(`{"a":"\\\\"${'['.repeat(70)}`))!,
    /deeper/,
    'an escaped backslash ends the string',
  );
  assert.throws(() => parseJsonBody(Buffer.from('{"a":')), /not valid JSON/);
  assert.throws(() => parseJsonBody(Buffer.from('{"a":{"constructor":{"prototype":{}}}}')), /forbidden key/);
});

test('JSON pre-scan agrees with JSON.parse on every JSON value within the limits (property)', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
      const text = JSON.stringify(v);
      fc.pre(!/__proto__|"constructor"/.test(text)); // refused on purpose (tested above)
      assert.deepEqual(parseJsonBody(Buffer.from(text)), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

test('WarnLimiter: at most N warnings per reason per window, then one line saying how many were dropped', () => {
  let now = 0;
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => {
      lines.push({ obj, msg });
    },
  };
  const w = new WarnLimiter(3, 60_000, () => now);
  for (let i = 0; i < 10; i++) w.warn(log as never, 'bad', { i }, 'callback rejected');
  w.warn(log as never, 'other', {}, 'other reason');
  assert.equal(lines.length, 4);
  now = 60_000;
  w.warn(log as never, 'bad', {}, 'callback rejected');
  assert.equal(lines.at(-1)!.obj.suppressed, 7);
  assert.match(lines.at(-1)!.msg, /7 more like it were not logged/);
});

test('data: URLs decode in slices exactly like Buffer.from, and refuse what is not base64', async () => {
  const { decodeDataUrl } = await import('../../src/openai/data-url.js');
  const bytes = Buffer.from(Array.from({ length: 700_001 }, (_, i) => (i * 7919) % 256));
  for (const b64 of [
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64').replace(/(.{76})/g, '$1\n'),
  ]) {
    assert.deepEqual(await decodeDataUrl(`data:image/png;base64,${b64}`, 'p', 1_000_000), bytes);
  }
  await assert.rejects(
    decodeDataUrl(
      `data:image/png;base64,${bytes.toString('base64').slice(0, 300_000)}!${'A'.repeat(100)}`,
      'p',
      1_000_000,
    ),
    /no valid base64/,
  );
  await assert.rejects(decodeDataUrl('data:image/png,abcd', 'p', 1000), /not a base64 data URL/);
  await assert.rejects(
    decodeDataUrl(`data:image/png;base64,${bytes.toString('base64')}`, 'p', 1000),
    /larger than 1000 bytes/,
  );
});

test('the streamed body reader gives the same verdict however the bytes are split into chunks (property)', async () => {
  const { readJsonBody } = await import('../../src/server/json-body.js');
  const { Readable } = await import('node:stream');
  const verdict = (p: Promise<unknown>) =>
    p.then(
      (v) => JSON.stringify(v),
      (e: Error) => `error: ${e.message}`,
    );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
        fc.constantFrom(
          `{"a":"\\\\"${'['.repeat(70)}`,
          `{"a":"\\"[[["}`,
          `${'['.repeat(65)}${']'.repeat(65)}`,
          '{"s":"长\\u957f"}',
          '{"a":',
        ),
      ),
      fc.array(fc.nat(), { maxLength: 6 }),
      async (text, cuts) => {
        fc.pre(!/__proto__|"constructor"/.test(text));
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort(
          (a, b) => a - b,
        );
        const chunks = [0, ...points, bytes.length]
          .slice(1)
          .map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end))
          .filter((c) => c.length);
        const whole = await verdict(Promise.resolve().then(() => parseJsonBody(bytes)));
        assert.equal(
          await verdict(readJsonBody(Readable.from(chunks, { objectMode: false }), 1_000_000)),
          whole,
        );
      },
    ),
    { numRuns: 300 },
  );
  await assert.rejects(
    readJsonBody(Readable.from([Buffer.from('{"a":"'), Buffer.from('x'.repeat(100)), Buffer.from('"}')]), 50),
    (e: Error & { statusCode?: number }) => e.statusCode === 413,
  );
});
