/**
 * Rate limits and CORS on the OpenAI-compatible API: 429 in OpenAI's envelope with Retry-After,
 * per key and per client address (X-Forwarded-For believed only from loopback, i.e. Caddy),
 * counted across instances through Redis; CORS only for configured origins and never on /wechat/hook.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { request } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { backendEnv, BACKEND, serverEnv, startHarness, type Harness } from '../helpers/harness.js';

const KEY = 'sk-test-limit-0001';
const OTHER = 'sk-test-limit-0002';
const KEYS = { WXCOZE_API_KEYS: `${KEY},${OTHER}` };

let h: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await h?.close();
  h = undefined;
});

async function get(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, { headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

test("per key: past WXCOZE_OPENAI_RATE_PER_KEY a key gets 429 with Retry-After in OpenAI's envelope; another key is not affected; /v1 and bare paths count together", async () => {
  h = await startHarness({ ...KEYS, WXCOZE_OPENAI_RATE_PER_KEY: '3' });
  const base = h.server.url;
  assert.equal((await get(base, '/v1/models', auth(KEY))).status, 200);
  assert.equal((await get(base, '/models', auth(KEY))).status, 200);
  assert.equal((await get(base, '/v1/models', auth(KEY))).status, 200);
  const over = await get(base, '/v1/models', auth(KEY));
  assert.equal(over.status, 429);
  const retryAfter = Number(over.headers['retry-after']);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
    `Retry-After ${String(over.headers['retry-after'])}`,
  );
  const err = JSON.parse(over.body).error;
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.equal(err.type, 'rate_limit_error');
  assert.equal(err.param, null);
  assert.match(err.message, /3 requests per minute per API key/);
  assert.equal((await get(base, '/v1/models', auth(OTHER))).status, 200, 'the other key has its own count');
  // The callback path is never limited by the API's settings.
  assert.notEqual((await get(base, '/wechat/hook')).status, 429);
});

test('per address: behind the loopback proxy each X-Forwarded-For client has its own count, wrong keys included', async () => {
  h = await startHarness({ ...KEYS, WXCOZE_OPENAI_RATE_PER_IP: '3' });
  const base = h.server.url;
  const from = (ip: string, key = KEY) => ({ ...auth(key), 'x-forwarded-for': ip });
  assert.equal((await get(base, '/v1/models', from('198.51.100.1', 'sk-wrong-guess-000'))).status, 401);
  assert.equal((await get(base, '/v1/models', from('198.51.100.1', 'sk-wrong-guess-001'))).status, 401);
  assert.equal((await get(base, '/v1/models', from('198.51.100.1'))).status, 200);
  const over = await get(base, '/v1/models', from('198.51.100.1'));
  assert.equal(over.status, 429);
  assert.ok(Number(over.headers['retry-after']) >= 1);
  assert.match(JSON.parse(over.body).error.message, /per client address/);
  assert.equal(
    (await get(base, '/v1/models', from('198.51.100.2'))).status,
    200,
    'another client behind the same proxy is not affected',
  );
});

test('CORS is off by default: a preflight gets no Access-Control-Allow-Origin', async () => {
  h = await startHarness(KEYS);
  const res = await request(`${h.server.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: 'https://chat.example.com', 'access-control-request-method': 'POST' },
  });
  await res.body.dump();
  assert.equal(res.headers['access-control-allow-origin'], undefined);
});

test('CORS: a preflight is allowed only for the configured origins, on /v1 only, never on /wechat/hook', async () => {
  h = await startHarness({
    ...KEYS,
    WXCOZE_OPENAI_CORS_ORIGINS: 'https://chat.example.com, http://localhost:3000',
  });
  const preflight = async (path: string, origin: string) => {
    const res = await request(`${h!.server.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    await res.body.dump();
    return res;
  };
  const ok = await preflight('/v1/chat/completions', 'https://chat.example.com');
  assert.equal(ok.statusCode, 204);
  assert.equal(ok.headers['access-control-allow-origin'], 'https://chat.example.com');
  assert.match(String(ok.headers['access-control-allow-headers']), /authorization/);
  assert.equal(
    (await preflight('/v1/models', 'http://localhost:3000')).headers['access-control-allow-origin'],
    'http://localhost:3000',
  );
  assert.equal(
    (await preflight('/v1/chat/completions', 'https://evil.example')).headers['access-control-allow-origin'],
    undefined,
  );
  assert.equal(
    (await preflight('/wechat/hook', 'https://chat.example.com')).headers['access-control-allow-origin'],
    undefined,
  );
  const real = await get(h.server.url, '/v1/models', { ...auth(KEY), origin: 'https://chat.example.com' });
  assert.equal(real.status, 200);
  assert.equal(real.headers['access-control-allow-origin'], 'https://chat.example.com');
  assert.equal(
    (await get(h.server.url, '/v1/models', { ...auth(KEY), origin: 'https://evil.example' })).headers[
      'access-control-allow-origin'
    ],
    undefined,
  );
});

test('a bad CORS origin or tenant stops the start with the fix', () => {
  const { problems } = loadConfig({
    env: {
      WXCOZE_OPENAI_CORS_ORIGINS: 'https://ok.example,chat.example.com/path',
      WXCOZE_API_KEYS: 'sk-abcdefgh@bad tenant',
    },
    cwd: '/nonexistent',
  });
  assert.ok(
    problems.some(
      (p) => p.key === 'WXCOZE_OPENAI_CORS_ORIGINS' && /chat\.example\.com\/path/.test(p.problem),
    ),
  );
  assert.ok(problems.some((p) => p.key === 'WXCOZE_API_KEYS' && /tenant/.test(p.problem)));
});

test(
  'two instances on one Redis share the per-key count',
  { skip: BACKEND !== 'mysql' && 'needs Redis (the MySQL variant runs it)' },
  async () => {
    const backend = await backendEnv();
    cleanups.push(backend.cleanup);
    h = await startHarness({ ...KEYS, ...backend.env, WXCOZE_OPENAI_RATE_PER_KEY: '4' });
    const { config } = loadConfig({
      env: serverEnv(h, h.dataDir, { ...KEYS, ...backend.env, WXCOZE_OPENAI_RATE_PER_KEY: '4' }),
      cwd: h.dataDir,
    });
    const second: RunningServer = await startServer(config, createLogger({ level: 'silent' }));
    cleanups.push(() => second.stop(2000));
    for (const base of [h.server.url, second.url, h.server.url, second.url])
      assert.equal((await get(base, '/v1/models', auth(KEY))).status, 200);
    assert.equal((await get(second.url, '/v1/models', auth(KEY))).status, 429);
    assert.equal((await get(h.server.url, '/v1/models', auth(KEY))).status, 429);
  },
);
