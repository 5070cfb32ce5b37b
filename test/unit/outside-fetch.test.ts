import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fetchOutsideBytes, OutsideFetchError } from '../../src/net/outside-fetch.js';

let base = '';
let endlessServed = 0;
const server = createServer((req, res) => {
  if (req.url === '/small.png') {
    res.writeHead(200, { 'content-type': 'image/png; charset=binary' });
    res.end(Buffer.alloc(1000, 1));
  } else if (req.url === '/declared-big.png') {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(10_000_000) });
    res.write(Buffer.alloc(1000));
  } else if (req.url === '/endless.png') {
    res.writeHead(200, { 'content-type': 'image/png' });
    const chunk = Buffer.alloc(16 * 1024, 7);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) endlessServed += chunk.length;
    };
    res.on('drain', pump);
    pump();
  } else if (req.url === '/page.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html></html>');
  } else {
    res.writeHead(404);
    res.end('not found');
  }
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const opts = {
  allowPrivate: true,
  schemes: ['http:' as const],
  headersTimeout: 5000,
  bodyTimeout: 5000,
  maxBytes: 64 * 1024,
  acceptType: /^image\//,
};

test('a small image comes back whole, with its type without parameters', async () => {
  const got = await fetchOutsideBytes(`${base}/small.png`, opts);
  assert.equal(got.data.length, 1000);
  assert.equal(got.contentType, 'image/png');
});

test('an endless body is cut off at the cap: tooLarge, and the server stops being read', async () => {
  await assert.rejects(
    fetchOutsideBytes(`${base}/endless.png`, opts),
    (e: unknown) => e instanceof OutsideFetchError && e.tooLarge,
  );
  const served = endlessServed;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(endlessServed, served);
});

test('a declared Content-Length over the cap is refused unread; a wrong type or a 404 is refused, not as too large', async () => {
  await assert.rejects(
    fetchOutsideBytes(`${base}/declared-big.png`, opts),
    (e: unknown) => e instanceof OutsideFetchError && e.tooLarge,
  );
  await assert.rejects(
    fetchOutsideBytes(`${base}/page.html`, opts),
    (e: unknown) =>
      e instanceof OutsideFetchError && !e.tooLarge && /text\/html is not accepted/.test(e.message),
  );
  await assert.rejects(
    fetchOutsideBytes(`${base}/gone.png`, opts),
    (e: unknown) => e instanceof OutsideFetchError && e.status === 404,
  );
});

test('the address guard still applies: loopback is refused unless allowed', async () => {
  await assert.rejects(
    fetchOutsideBytes(`${base}/small.png`, { ...opts, allowPrivate: false }),
    OutsideFetchError,
  );
});
