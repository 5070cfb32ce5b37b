// The Coze OAuth service app (JWT flow) against the fake Coze: the JWT as Coze documents it, tokens
// refreshed before they expire, one refresh at a time across instances, the cached token sealed, a
// refused token replaced once, and the private key file's checks.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { CozeClient } from '../../src/coze/client.js';
import { CozeError, describeCozeError } from '../../src/coze/errors.js';
import { expiryOf, fetchOAuthToken, JwtOAuth, refreshAtOf } from '../../src/coze/oauth.js';
import { loadPrivateKeyFile, PrivateKeyError } from '../../src/coze/private-key.js';
import { startFakeCoze, type FakeCoze } from '../../src/fakes/coze/index.js';
import { MemoryCoordinator } from '../../src/store/coordination/memory.js';
import { RedisCoordinator } from '../../src/store/coordination/redis.js';
import {
  appKeys,
  fakeOAuthApp,
  OAUTH_APP_ID,
  OAUTH_KEY_ID,
  strangerKeys,
  writeKeyFile,
} from '../helpers/coze-oauth.js';
import { TEST_REDIS_URL } from '../helpers/mysql.js';
import { requireRedis } from '../helpers/requirements.js';

const BOT = '7379462189365198898';
const PAT = 'pat_test_token';

const redisSkip = await requireRedis();

let fake: FakeCoze;
before(async () => {
  fake = await startFakeCoze({ token: PAT, botIds: [BOT], oauth: fakeOAuthApp() });
});
after(async () => {
  await fake.close();
});
afterEach(() => {
  fake.setTokenLifetime(undefined);
});

const app = (over: Partial<ConstructorParameters<typeof JwtOAuth>[0]> = {}) =>
  new JwtOAuth({
    apiBase: fake.url,
    appId: OAUTH_APP_ID,
    keyId: OAUTH_KEY_ID,
    privateKey: appKeys().privateKey,
    ...over,
  });

async function refusal(p: Promise<unknown>): Promise<CozeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CozeError, `expected a CozeError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a refusal');
}

/** Polls `check` (async) until it holds; a generous deadline, no timing asserted. */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the token request', () => {
  it('carries the JWT Coze documents: RS256, kid = public key id; iss = app id, aud = API host, iat, exp, a new jti', async () => {
    const before = fake.tokenRequests.length;
    await fetchOAuthToken({
      apiBase: fake.url,
      appId: OAUTH_APP_ID,
      keyId: OAUTH_KEY_ID,
      privateKey: appKeys().privateKey,
    });
    await fetchOAuthToken({
      apiBase: fake.url,
      appId: OAUTH_APP_ID,
      keyId: OAUTH_KEY_ID,
      privateKey: appKeys().privateKey,
    });
    const [a, b] = fake.tokenRequests.slice(before);
    assert.equal(a!.outcome, 'issued');
    assert.deepEqual(a!.header, { alg: 'RS256', typ: 'JWT', kid: OAUTH_KEY_ID });
    const p = a!.payload!;
    assert.equal(p.iss, OAUTH_APP_ID);
    assert.equal(p.aud, new URL(fake.url).host);
    assert.ok(Math.abs(Number(p.iat) - Date.now() / 1000) < 120);
    assert.equal(Number(p.exp) - Number(p.iat), 3600);
    assert.match(String(p.jti), /^[0-9a-f]{64}$/);
    assert.notEqual(p.jti, b!.payload!.jti, 'each JWT has its own jti (Coze accepts a JWT once)');
    assert.deepEqual(a!.body, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      duration_seconds: 3600,
    });
  });

  it('reads expires_in as the Unix time of expiry, on our clock only within the lifetime asked for', () => {
    const now = 1_721_132_259_000;
    assert.equal(expiryOf(1_721_135_859, 3600, now), 1_721_135_859_000, 'Coze: a Unix time in seconds');
    assert.equal(expiryOf(1_721_135_000, 3600, now), 1_721_135_000_000, 'sooner than asked: believed');
    assert.equal(
      expiryOf(1_721_200_000, 3600, now),
      now + 3_600_000,
      'our clock behind: never longer than asked',
    );
    assert.equal(
      expiryOf(1_721_000_000, 3600, now),
      now + 3_600_000,
      'our clock ahead: already past, the asked life',
    );
    assert.equal(expiryOf(900, 3600, now), now + 900_000, 'a duration, should one come');
    // Refreshed 10 minutes before expiry, or halfway through a short life.
    assert.equal(refreshAtOf(0, 3_600_000), 3_000_000);
    assert.equal(refreshAtOf(0, 4_000), 2_000);
  });

  it('a private key Coze does not know the key for is refused with invalid_client, explained', async () => {
    const e = await refusal(
      fetchOAuthToken({
        apiBase: fake.url,
        appId: OAUTH_APP_ID,
        keyId: OAUTH_KEY_ID,
        privateKey: strangerKeys().privateKey,
      }),
    );
    assert.equal(e.oauthError, 'invalid_client');
    assert.equal(e.kind, 'auth');
    assert.equal(e.httpStatus, 401);
    assert.match(describeCozeError(e), /private key file is not the one of COZE_JWT_OAUTH_PUBLIC_KEY_ID/);
    const kid = await refusal(
      fetchOAuthToken({
        apiBase: fake.url,
        appId: OAUTH_APP_ID,
        keyId: 'not-a-key-id',
        privateKey: appKeys().privateKey,
      }),
    );
    assert.equal(kid.msg, 'invalid jwt: kid not been registred');
    assert.match(describeCozeError(kid), /does not know the OAuth app's public key id/);
    const iss = await refusal(
      fetchOAuthToken({
        apiBase: fake.url,
        appId: '1180000000000',
        keyId: OAUTH_KEY_ID,
        privateKey: appKeys().privateKey,
      }),
    );
    assert.equal(iss.oauthError, 'invalid_client');
  });
});

describe('the token provider', () => {
  it('reuses a token until its refresh time, then gets a new one before the old expires', async () => {
    fake.setTokenLifetime(3);
    const p = app();
    const first = await p.token();
    assert.equal(await p.token(), first, 'the same token while it is young');
    const issued = fake.oauthTokensIssued;
    // Every token handed out meanwhile is still accepted by Coze when it is handed out.
    await until('a new token', async () => {
      const t = await p.token();
      const live = await new CozeClient({ baseUrl: fake.url, token: t }).getMe().then(
        () => true,
        () => false,
      );
      assert.ok(live, 'a token handed out must still work');
      return t !== first;
    });
    assert.equal(fake.oauthTokensIssued, issued + 1, 'one refresh, not one per call');
  });

  it('two instances sharing a cache and a lock: one refresh, and the cache holds the token only sealed', async () => {
    const coord = new MemoryCoordinator();
    const a = app({ cache: coord.cache, lock: coord });
    const b = app({ cache: coord.cache, lock: coord });
    const issued = fake.oauthTokensIssued;
    const tokens = await Promise.all([...Array(10)].flatMap(() => [a.token(), b.token()]));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(fake.oauthTokensIssued, issued + 1);
    const raw = JSON.stringify(
      await coord.cache.get(`coze:oauth_token:${new URL(fake.url).host}:${OAUTH_APP_ID}:${OAUTH_KEY_ID}`),
    );
    assert.match(raw, /"v":1/, 'the entry is there');
    assert.ok(!raw.includes(tokens[0]!), 'the token is not stored in clear');
    // Another instance with a different key cannot read it: it fetches its own (and is refused).
    const wrong = app({ cache: coord.cache, lock: coord, privateKey: strangerKeys().privateKey });
    assert.equal((await refusal(wrong.token())).oauthError, 'invalid_client');
  });

  it('over Redis: two instances, one refresh at a time', { skip: redisSkip }, async () => {
    const prefix = `wxcoze-test:oauth-${Date.now()}:`;
    const r1 = new RedisCoordinator(TEST_REDIS_URL, prefix);
    const r2 = new RedisCoordinator(TEST_REDIS_URL, prefix);
    try {
      const a = app({ cache: r1.cache, lock: r1 });
      const b = app({ cache: r2.cache, lock: r2 });
      const issued = fake.oauthTokensIssued;
      const tokens = await Promise.all([...Array(5)].flatMap(() => [a.token(), b.token()]));
      assert.equal(new Set(tokens).size, 1);
      assert.equal(fake.oauthTokensIssued, issued + 1);
    } finally {
      await r1.close();
      await r2.close();
    }
  });
});

describe('the Coze client with the OAuth app', () => {
  it('a token Coze refuses before the stream starts is replaced once and the chat goes through', async () => {
    const client = new CozeClient({ baseUrl: fake.url, auth: app(), timeoutMs: 5000 });
    await client.chat({
      target: { kind: 'bot', botId: BOT },
      userId: 'u1',
      messages: [{ role: 'user', content: '你好', content_type: 'text' }],
    });
    fake.expireOAuthTokens();
    const refusals = fake.authRefusals;
    const issued = fake.oauthTokensIssued;
    const res = await client.chat({
      target: { kind: 'bot', botId: BOT },
      userId: 'u1',
      messages: [{ role: 'user', content: '还在吗', content_type: 'text' }],
    });
    assert.match(res.text, /还在吗/);
    assert.equal(fake.authRefusals, refusals + 1, 'one refusal, then the new token');
    assert.equal(fake.oauthTokensIssued, issued + 1);
    // The same for a plain call.
    fake.expireOAuthTokens();
    assert.ok(await client.createConversation(BOT));
  });

  it('a personal access token Coze refuses is not asked again', async () => {
    const client = new CozeClient({ baseUrl: fake.url, token: 'pat_wrong', timeoutMs: 5000 });
    const refusals = fake.authRefusals;
    const e = await refusal(
      client.chat({
        target: { kind: 'bot', botId: BOT },
        userId: 'u1',
        messages: [{ role: 'user', content: 'x', content_type: 'text' }],
      }),
    );
    assert.equal(e.code, 4100);
    assert.equal(fake.authRefusals, refusals + 1);
  });
});

describe('the private key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-key-'));

  it('loads private_key.pem when only its owner can read it', () => {
    const key = loadPrivateKeyFile(writeKeyFile(dir));
    assert.equal(key.asymmetricKeyType, 'rsa');
  });

  it('refuses a key others can read, saying which mode and the chmod that fixes it', () => {
    const path = writeKeyFile(dir, appKeys().privatePem, 0o644, 'loose.pem');
    assert.throws(
      () => loadPrivateKeyFile(path),
      (e: unknown) =>
        e instanceof PrivateKeyError &&
        /is 644: other users of this machine can read it/.test(e.problem) &&
        e.fix.startsWith(`Run: chmod 600 ${path}`),
    );
  });

  it('a missing file, or one without a key, says what to put there', () => {
    assert.throws(
      () => loadPrivateKeyFile(join(dir, 'nope.pem')),
      (e: unknown) =>
        e instanceof PrivateKeyError && /does not exist/.test(e.problem) && /private_key\.pem/.test(e.fix),
    );
    const junk = writeKeyFile(dir, 'not a key', 0o600, 'junk.pem');
    assert.throws(
      () => loadPrivateKeyFile(junk),
      (e: unknown) =>
        e instanceof PrivateKeyError && /does not hold a private key in PEM form/.test(e.problem),
    );
  });
});
