import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { fetchOutsideUrl, OutsideFetchError } from '../../src/net/outside-fetch.js';
import { isPrivateAddress, outsideUrlAgent } from '../../src/net/public-agent.js';
import { loadImage } from '../../src/openai/images.js';

/** One address from every range of IANA's IPv4 and IPv6 special-purpose registries, and more. */
const SPECIAL = [
  '0.1.2.3',
  '10.1.2.3',
  '100.64.0.1',
  '100.127.255.254',
  '127.0.0.1',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.10',
  '192.88.99.1',
  '192.168.1.1',
  '198.18.0.1',
  '198.19.255.1',
  '198.51.100.7',
  '203.0.113.7',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:203.0.113.7',
  '64:ff9b::7f00:1',
  '64:ff9b::808:808',
  '64:ff9b:1::1',
  '100::1',
  '2001::1',
  '2001:2::1',
  '2001:db8::1',
  '2001:10::1',
  '2002:7f00:1::1',
  '2002:808:808::1',
  '3fff::1',
  '5f00::1',
  'fc00::1',
  'fd00::1',
  'fe80::1',
  'fec0::1',
  'ff02::1',
  '4000::1',
  'not-an-ip',
];

test('every special-purpose address (IANA IPv4 and IPv6 registries) is refused; public unicast is not', () => {
  for (const a of SPECIAL) assert.equal(isPrivateAddress(a), true, a);
  for (const a of [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '198.20.0.1',
    '203.0.114.1',
    '2606:4700::1111',
    '2400:3200::1',
    '::ffff:8.8.8.8',
  ])
    assert.equal(isPrivateAddress(a), false, a);
});

async function listen(srv: Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as AddressInfo).port;
}

test('the public-only agent refuses loopback: a name resolving to it before any connection, an IP literal after connect; the permissive one connects', async () => {
  let connections = 0;
  const srv = createServer((_req, res) => res.end('ok'));
  srv.on('connection', () => {
    connections++;
  });
  const port = await listen(srv);
  try {
    await assert.rejects(
      request(`http://localhost:${port}/x`, { dispatcher: await outsideUrlAgent(false) }),
      /resolves only to private or reserved/,
    );
    assert.equal(connections, 0, 'the DNS answer was refused before connecting');
    await assert.rejects(
      request(`http://127.0.0.1:${port}/x`, { dispatcher: await outsideUrlAgent(false) }),
      /private or reserved/,
    );
    const ok = await request(`http://127.0.0.1:${port}/x`, { dispatcher: await outsideUrlAgent(true) });
    assert.equal(await ok.body.text(), 'ok');
  } finally {
    srv.close();
  }
});

test('a redirect hop to a private address is refused before connecting, even when the first hop was allowed', async () => {
  const hits: string[] = [];
  const srv = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/x` });
      res.end();
      return;
    }
    res.end('ok');
  });
  const port = await listen(srv);
  const permissive = new Agent();
  try {
    // The first hop goes through a permissive agent (standing in for a public host); the hop's check is fetchOutsideUrl's own.
    await assert.rejects(
      fetchOutsideUrl(`http://localhost:${port}/redirect`, {
        allowPrivate: false,
        schemes: ['http:'],
        headersTimeout: 5000,
        bodyTimeout: 5000,
        dispatcher: permissive,
      }),
      (e: unknown) => {
        assert.ok(e instanceof OutsideFetchError);
        assert.match(e.message, /127\.0\.0\.1 is a private or reserved address/);
        return true;
      },
    );
    assert.deepEqual(hits, ['/redirect']);
    // Redirects are followed at most 3 times.
    srv.removeAllListeners('request');
    srv.on('request', (req, res) => {
      hits.push(req.url!);
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    hits.length = 0;
    await assert.rejects(
      fetchOutsideUrl(`http://localhost:${port}/loop`, {
        allowPrivate: true,
        schemes: ['http:'],
        headersTimeout: 5000,
        bodyTimeout: 5000,
      }),
      /more than 3 redirects/,
    );
    assert.equal(hits.length, 4);
  } finally {
    srv.close();
    await permissive.close();
  }
});

function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
}

test('an https image URL redirecting to http is refused (no downgrade), and the client sees only the generic error', async () => {
  let plainHits = 0;
  const plain = createServer((_req, res) => {
    plainHits++;
    res.end('x');
  });
  const plainPort = await listen(plain);
  const tls = createHttpsServer(selfSignedCert(), (_req, res) => {
    res.writeHead(302, { location: `http://localhost:${plainPort}/cat.png` });
    res.end();
  });
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
  const tlsPort = (tls.address() as AddressInfo).port;
  const trusting = new Agent({ connect: { rejectUnauthorized: false } });
  const logged: unknown[] = [];
  try {
    await assert.rejects(
      fetchOutsideUrl(`https://localhost:${tlsPort}/cat.png`, {
        allowPrivate: true,
        schemes: ['https:', 'http:'],
        headersTimeout: 5000,
        bodyTimeout: 5000,
        dispatcher: trusting,
      }),
      /redirect from https to http: refused/,
    );
    await assert.rejects(
      loadImage(`https://localhost:${tlsPort}/cat.png`, 'messages[0].content[0].image_url.url', {
        maxBytes: 1000,
        allowPrivate: true,
        dispatcher: trusting,
        log: { warn: (o: unknown) => logged.push(o) } as never,
      }),
      (e: unknown) => {
        assert.equal(
          (e as Error).message,
          'messages[0].content[0].image_url.url: the image could not be fetched',
        );
        return true;
      },
    );
    assert.equal(plainHits, 0, 'the http target was never contacted');
    assert.match(JSON.stringify(logged), /redirect to http: refused/, 'the reason is in the log');
  } finally {
    tls.close();
    plain.close();
    await trusting.close();
  }
});

test('an image URL on loopback gives the client the generic error, never the address or port', async () => {
  const probe = createServer();
  const closedPort = await listen(probe);
  await new Promise((r) => probe.close(r)); // a port nobody answers on
  for (const url of [
    `https://127.0.0.1:${closedPort}/x.png`,
    `https://localhost:${closedPort}/x.png`,
    `https://[::1]:${closedPort}/x.png`,
    'https://169.254.169.254/latest/meta-data',
  ]) {
    const logged: unknown[] = [];
    await assert.rejects(
      loadImage(url, 'p', { maxBytes: 1000, log: { warn: (o: unknown) => logged.push(o) } as never }),
      (e: unknown) => {
        assert.equal((e as Error).message, 'p: the image could not be fetched', url);
        assert.doesNotMatch((e as Error).message, new RegExp(String(closedPort)));
        return true;
      },
    );
    assert.equal(logged.length, 1, `the reason of ${url} is logged`);
  }
});
