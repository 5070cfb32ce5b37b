import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import { isPrivateAddress, outsideUrlAgent } from '../../src/net/public-agent.js';

test('private, loopback, link-local and reserved addresses are recognised; public ones are not', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '203.0.113.5', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPrivateAddress(a), false, a);
});

test('the public-only agent refuses to connect to loopback, directly or by a redirect; the permissive one connects', async () => {
  let hits = 0;
  const srv = createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') { res.writeHead(302, { location: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x` }); res.end(); return; }
    res.end('ok');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  try {
    await assert.rejects(request(`${url}/x`, { dispatcher: outsideUrlAgent(false) }), /private or reserved/);
    await assert.rejects(request(`http://localhost:${(srv.address() as AddressInfo).port}/redirect`, { dispatcher: outsideUrlAgent(false) }), /private or reserved/);
    assert.equal(hits, 0, 'nothing reached the server');
    const ok = await request(`${url}/x`, { dispatcher: outsideUrlAgent(true) });
    assert.equal(await ok.body.text(), 'ok');
  } finally {
    srv.close();
  }
});
