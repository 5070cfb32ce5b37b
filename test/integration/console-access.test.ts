/**
 * The console's access rules over plain HTTP against the real server: off until an operator
 * exists, cookie flags behind a TLS proxy, CSRF on every state change (the login form too),
 * clear refusals, static files without path tricks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/console/auth/password.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const PASSWORD = 'correct-horse-battery';

/** Cookies of a response as name → value, and the raw Set-Cookie lines. */
function cookiesOf(res: Response): { jar: Record<string, string>; lines: string[] } {
  const lines = res.headers.getSetCookie();
  const jar: Record<string, string> = {};
  for (const l of lines) {
    const [pair] = l.split(';');
    const i = pair!.indexOf('=');
    jar[pair!.slice(0, i)] = decodeURIComponent(pair!.slice(i + 1));
  }
  return { jar, lines };
}
const cookieHeader = (jar: Record<string, string>) =>
  Object.entries(jar)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('; ');

describe('console access over HTTP', () => {
  let h: Harness;
  let url: (p?: string) => string;
  before(async () => {
    h = await startHarness();
    url = (p = '') => `${h.server.url}/admin${p}`;
  });
  after(async () => {
    await h?.close();
  });

  async function login(headers: Record<string, string> = {}) {
    const page = await fetch(url('/login'), { headers });
    const { jar } = cookiesOf(page);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await fetch(url('/login'), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
      body: new URLSearchParams({ _csrf: csrf, name: 'admin', password: PASSWORD, next: '' }).toString(),
    });
    return { res, ...cookiesOf(res), loginJar: jar, csrf };
  }

  test('off until an operator exists: a 404 page saying how to turn it on', async () => {
    const res = await fetch(url('/audit'));
    assert.equal(res.status, 404);
    const text = await res.text();
    assert.match(text, /控制台尚未开启/);
    assert.match(text, /wxcoze admin password/);
    // Its stylesheet still loads (the page is styled).
    assert.equal((await fetch(url('/assets/app.css'))).status, 200);
    await h.server.store.consoleAccess.setOperator('admin', await hashPassword(PASSWORD), Date.now());
    const on = await fetch(url('/audit'), { redirect: 'manual' });
    assert.equal(on.status, 303);
    assert.match(on.headers.get('location')!, /^\/admin\/login\?next=/);
  });

  test('cookies: HttpOnly and SameSite=Strict; Secure only when the proxy on loopback says https', async () => {
    const plain = await login();
    assert.equal(plain.res.status, 303);
    const session = plain.lines.find((l) => l.startsWith('wxcoze_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.match(session, /Path=\/admin/);
    assert.doesNotMatch(session, /Secure/);
    const tls = await login({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.20' });
    assert.match(
      tls.lines.find((l) => l.startsWith('wxcoze_session='))!,
      /; Secure/,
    );
    // The client address the proxy forwarded is the one audited.
    const log = await h.server.store.consoleAccess.listAudit({ limit: 1 });
    assert.match(log[0]!.detail!, /203\.0\.113\.20/);
  });

  test('the login form without its CSRF token is refused with a page saying to try again', async () => {
    const res = await fetch(url('/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'admin', password: PASSWORD }).toString(),
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /登录页面已过期/);
    assert.equal(cookiesOf(res).jar.wxcoze_session, undefined);
  });

  test('state changes need the session token: a missing or wrong one is 403, the right one works', async () => {
    const { jar } = await login();
    const cookie = cookieHeader(jar);
    const page = await fetch(url('/audit'), { headers: { cookie } });
    assert.equal(page.status, 200);
    const html = await page.text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    for (const token of [undefined, 'forged']) {
      const res = await fetch(url('/logout'), {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: token ? `_csrf=${token}` : '',
      });
      assert.equal(res.status, 403, String(token));
      assert.match(await res.text(), /页面已过期/);
    }
    const api = await fetch(url('/logout'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    });
    assert.equal(api.status, 403);
    assert.equal(((await api.json()) as any).error.code, 'csrf');
    const ok = await fetch(url('/logout'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/admin/login?m=logged_out');
    // The session is gone: the API says so in JSON, never a stack trace.
    const after = await fetch(url('/api/audit'), { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.deepEqual(((await after.json()) as any).error.code, 'session_expired');
  });

  test('API input is validated with a clear JSON error', async () => {
    const { jar } = await login();
    const res = await fetch(url('/api/audit?limit=100000'), { headers: { cookie: cookieHeader(jar) } });
    assert.equal(res.status, 400);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'bad_request');
    assert.match(body.error.message, /请求的内容不对/);
  });

  test('static files: right types, revalidation, nothing outside the allow-lists', async () => {
    const css = await fetch(url('/assets/app.css'));
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    const etag = css.headers.get('etag')!;
    assert.equal((await fetch(url('/assets/app.css'), { headers: { 'if-none-match': etag } })).status, 304);
    const js = await fetch(url('/assets/app.js'));
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    for (const p of [
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e',
      '/assets/../../package.json',
      '/assets/.env',
      '/assets/app.ts',
      '/assets/APP.JS',
      '/vendor/constructor',
      '/vendor/kysely.js',
    ]) {
      // (fetch itself resolves a literal or %2e%2e before sending: those land on the console's home.)
      const res = await fetch(url(p), { redirect: 'manual' });
      assert.notEqual(res.status, 200, p);
      assert.doesNotMatch(await res.text(), /"name": "wxcoze"/, p);
    }
  });
});
