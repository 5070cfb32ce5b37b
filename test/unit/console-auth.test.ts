import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { safeNext } from '../../src/console/auth/login.js';
import {
  generatePassword,
  hashPassword,
  operatorNameProblem,
  passwordProblem,
  verifyPassword,
} from '../../src/console/auth/password.js';
import { findSession, hashToken, sameToken, startSession } from '../../src/console/auth/sessions.js';
import {
  checkThrottle,
  noteFailure,
  noteSuccess,
  THROTTLE_WINDOW_MS,
} from '../../src/console/auth/throttle.js';
import { csrfOf } from '../../src/console/auth/guard.js';
import { langOf, langSwitchHref } from '../../src/console/i18n.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';

async function memoryStore() {
  const s = SqlStore.sqlite(':memory:');
  await s.migrate();
  return s;
}

describe('passwords (scrypt)', () => {
  test('the right password matches, a wrong one or another hash does not', async () => {
    const h = await hashPassword('正确的马 battery staple');
    assert.match(h, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.equal(await verifyPassword('正确的马 battery staple', h), true);
    assert.equal(await verifyPassword('正确的马 battery stapl', h), false);
    assert.equal(await verifyPassword('', h), false);
    // Two hashes of one password differ (random salt), both verify.
    const h2 = await hashPassword('正确的马 battery staple');
    assert.notEqual(h, h2);
    assert.equal(await verifyPassword('正确的马 battery staple', h2), true);
  });

  test('a stored value that is not a sane scrypt hash never matches and never throws', async () => {
    const h = await hashPassword('password1');
    const f = h.split('$');
    for (const bad of [
      '',
      'plain-text-password',
      'bcrypt$2b$10$abc',
      [f[0], 2 ** 24, f[2], f[3], f[4], f[5]].join('$'), // would burn 2 GiB per login
      [f[0], f[1], f[2], f[3], f[4], 'c2hvcnQ'].join('$'),
    ])
      assert.equal(await verifyPassword('password1', bad), false, bad);
  });

  test('generated passwords are long, varied and acceptable', () => {
    const a = generatePassword();
    assert.equal(a.length, 20);
    assert.match(a, /^[a-km-zA-HJ-NP-Z2-9]+$/);
    assert.notEqual(a, generatePassword());
    assert.equal(passwordProblem(a), undefined);
    assert.match(passwordProblem('short') ?? '', /shorter than 8/);
    assert.equal(operatorNameProblem('小王'), undefined);
    assert.match(operatorNameProblem('two words') ?? '', /no spaces/);
  });
});

describe('sessions', () => {
  const policy = { idleMs: 10_000, maxMs: 100_000 };

  test('the store keeps the hash of the cookie, never the cookie; the cookie finds its session', async () => {
    const store = await memoryStore();
    const { token, session } = await startSession(store.consoleAccess, 'admin', policy, 1_000);
    assert.equal(session.idHash, hashToken(token));
    assert.notEqual(session.idHash, token);
    assert.equal(await store.consoleAccess.getSession(token), undefined);
    const found = await findSession(store.consoleAccess, token, policy, 2_000);
    assert.ok(found.ok);
    assert.equal(found.session.operator, 'admin');
    assert.equal((await findSession(store.consoleAccess, `${token}x`, policy, 2_000)).ok, false);
    assert.deepEqual(await findSession(store.consoleAccess, undefined, policy, 2_000), {
      ok: false,
      reason: 'none',
    });
    await store.close();
  });

  test('a session ends when idle too long, and at its absolute end however much it is used', async () => {
    const store = await memoryStore();
    const a = store.consoleAccess;
    const idle = await startSession(a, 'admin', policy, 0);
    assert.deepEqual(await findSession(a, idle.token, policy, 10_000), { ok: false, reason: 'expired' });
    // Used every 9 s (each use recorded once a minute at most… so use a policy whose idle time exceeds that).
    const busyPolicy = { idleMs: 120_000, maxMs: 300_000 };
    const busy = await startSession(a, 'admin', busyPolicy, 0);
    for (let t = 60_000; t < 300_000; t += 60_000)
      assert.ok((await findSession(a, busy.token, busyPolicy, t)).ok, `at ${t}`);
    assert.deepEqual(await findSession(a, busy.token, busyPolicy, 300_000), { ok: false, reason: 'expired' });
    await store.close();
  });

  test('tokens compare in constant time and only when equal', () => {
    assert.equal(sameToken('abc', 'abc'), true);
    assert.equal(sameToken('abc', 'abd'), false);
    assert.equal(sameToken('abc', 'abcd'), false);
    assert.equal(sameToken(undefined, 'abc'), false);
    assert.equal(sameToken('', ''), false);
  });
});

describe('CSRF token and redirect target', () => {
  const req = (headers: Record<string, string>, body?: unknown) =>
    ({ headers, body }) as unknown as FastifyRequest;

  test('the token comes from the x-csrf-token header or the _csrf form field', () => {
    assert.equal(csrfOf(req({ 'x-csrf-token': 'h' }, { _csrf: 'f' })), 'h');
    assert.equal(csrfOf(req({}, { _csrf: 'f' })), 'f');
    assert.equal(csrfOf(req({}, { _csrf: 1 })), undefined);
    assert.equal(csrfOf(req({})), undefined);
  });

  test('after login only a path inside the console is followed', () => {
    assert.equal(safeNext('/admin/failed?x=1', '/admin'), '/admin/failed?x=1');
    assert.equal(safeNext('/admin', '/admin'), '/admin');
    for (const bad of [
      'https://evil.example/admin',
      '//evil.example',
      '/admin//evil',
      '/adminx',
      '/admin/\\evil',
      '/admin/login',
      5,
    ])
      assert.equal(safeNext(bad, '/admin'), '/admin', String(bad));
  });
});

describe('login throttling', () => {
  const limits = { perIp: 3, perName: 5 };

  test('per address: refused after its failures, whatever the name; other addresses go on', async () => {
    const a = (await memoryStore()).consoleAccess;
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await checkThrottle(a, limits, '203.0.113.5', 'nobody', 1000), { ok: true });
      await noteFailure(a, '203.0.113.5', undefined, 1000);
    }
    const v = await checkThrottle(a, limits, '203.0.113.5', 'admin', 61_000);
    assert.equal(v.ok, false);
    assert.ok(!v.ok && v.by === 'ip' && v.retryAfterMs === THROTTLE_WINDOW_MS - 60_000);
    assert.deepEqual(await checkThrottle(a, limits, '198.51.100.7', 'admin', 61_000), { ok: true });
    // The window over: allowed again.
    assert.deepEqual(await checkThrottle(a, limits, '203.0.113.5', 'admin', 1000 + THROTTLE_WINDOW_MS), {
      ok: true,
    });
  });

  test('per name: failures from many addresses lock that name only; a right password clears it', async () => {
    const a = (await memoryStore()).consoleAccess;
    for (let i = 0; i < 5; i++) await noteFailure(a, `198.51.100.${i}`, 'admin', 1000);
    const v = await checkThrottle(a, limits, '192.0.2.1', 'admin', 2000);
    assert.ok(!v.ok && v.by === 'name');
    assert.deepEqual(await checkThrottle(a, limits, '192.0.2.1', '小王', 2000), { ok: true });
    await noteSuccess(a, 'admin');
    assert.deepEqual(await checkThrottle(a, limits, '192.0.2.1', 'admin', 2000), { ok: true });
  });
});

describe('language', () => {
  const req = (query: Record<string, string>, accept?: string) =>
    ({ query, headers: accept ? { 'accept-language': accept } : {} }) as unknown as FastifyRequest;
  test('?lang= wins, then the cookie, then Accept-Language, else Chinese', () => {
    assert.equal(langOf(req({ lang: 'en' }, 'zh-CN'), { wxcoze_lang: 'zh' }), 'en');
    assert.equal(langOf(req({}, 'zh-CN'), { wxcoze_lang: 'en' }), 'en');
    assert.equal(langOf(req({}, 'en-US,en;q=0.9,zh;q=0.8'), {}), 'en');
    assert.equal(langOf(req({}, 'fr-FR,zh-TW;q=0.5'), {}), 'zh');
    assert.equal(langOf(req({}, 'fr-FR'), {}), 'zh');
    assert.equal(langOf(req({ lang: 'xx' }), {}), 'zh');
  });

  test('the language switch: the same page for a GET; for a POST the page the form was on, else the home', () => {
    const at = (method: string, url: string, headers: Record<string, string> = {}) =>
      ({ method, url, headers: { host: 'shop.example', ...headers } }) as unknown as FastifyRequest;
    assert.equal(
      langSwitchHref(at('GET', '/admin/media?kf=k&seq=3&lang=zh'), '/admin', 'en'),
      '/admin/media?kf=k&seq=3&lang=en',
    );
    assert.equal(langSwitchHref(at('GET', '/admin/audit'), '/admin', 'en'), '/admin/audit?lang=en');
    // A refused logout form: its URL answers 404 to a GET, so back to the page it was posted from.
    const referer = 'https://shop.example/admin/c/wk1/wm1?x=1';
    assert.equal(
      langSwitchHref(at('POST', '/admin/logout', { referer }), '/admin', 'en'),
      '/admin/c/wk1/wm1?x=1&lang=en',
    );
    // No referer, another site's, or a page outside the console: the console's home.
    assert.equal(langSwitchHref(at('POST', '/admin/logout'), '/admin', 'en'), '/admin?lang=en');
    for (const r of ['https://evil.example/admin/audit', 'https://shop.example/other', 'not a url'])
      assert.equal(
        langSwitchHref(at('POST', '/admin/logout', { referer: r }), '/admin', 'zh'),
        '/admin?lang=zh',
        r,
      );
  });
});
