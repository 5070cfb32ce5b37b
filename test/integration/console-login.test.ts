/**
 * The console's access in a real browser (Debian's Chromium through playwright-core) against the
 * real server: login refused and throttled, logout, expired sessions, CSRF, restarts, the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken, SESSION_COOKIE } from '../../src/console/auth/sessions.js';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';
import { waitFor } from '../helpers/harness.js';

const skip = needsChromium;

describe('console login in a browser', { skip }, () => {
  let c: ConsoleSession;
  before(async () => {
    c = await startConsole({ login: false });
  });
  after(async () => {
    await c?.close();
  });

  test('the login page is Chinese by default and takes the keyboard alone', async () => {
    const page = c.page;
    await page.goto(c.url());
    assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await page.textContent('h1'), '登录');
    await c.screenshot('console-login');
    // The name field has focus: type, Tab to the password, Enter submits.
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
    assert.equal((await page.textContent('#login-message'))?.trim(), '用户名或密码不对，请重新输入。');
    assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
    await c.screenshot('console-login-wrong');
  });

  test('the right password opens the console; the audit page shows the login and the failed one', async () => {
    const page = c.page;
    await c.login();
    // A login lands on the console's home page, the conversations.
    assert.match(new URL(page.url()).pathname, /\/admin\/?$/);
    await page.goto(c.url('/audit'));
    await page.waitForSelector('table.audit tbody tr');
    const rows = await page.$$eval('table.audit tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.match(rows[0]!, /admin.*登录.*127\.0\.0\.1/);
    assert.ok(
      rows.some((r) => /登录失败/.test(r)),
      rows.join('\n'),
    );
    assert.equal(await page.textContent('.operator'), 'admin');
    await c.screenshot('console-audit');
    await page.setViewportSize({ width: 390, height: 844 });
    await c.screenshot('console-audit-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('English on request, remembered', async () => {
    const page = c.page;
    await page.goto(c.url('/audit?lang=en'));
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('h1'), 'Audit log');
    await page.goto(c.url('/audit'));
    assert.equal(await page.textContent('h1'), 'Audit log');
    await page.waitForSelector('table.audit tbody tr');
    assert.match((await page.textContent('table.audit tbody tr')) ?? '', /Logged in/);
    await page.goto(c.url('/audit?lang=zh'));
    assert.equal(await page.textContent('h1'), '操作记录');
  });

  test('a POST without the CSRF token is refused with a clear page, and changes nothing', async () => {
    const page = c.page;
    await page.goto(c.url('/audit'));
    // The logout form without its hidden token: the server must refuse it.
    await page.$eval('form.logout input[name=_csrf]', (i) => i.remove());
    await Promise.all([page.waitForLoadState('load'), page.click('form.logout button')]);
    assert.equal(await page.textContent('h1'), '页面已过期');
    assert.match((await page.textContent('main')) ?? '', /安全令牌缺失或已失效/);
    assert.doesNotMatch((await page.content()) ?? '', /at .*\.ts:\d+/); // no stack trace
    // Its language switch leads to a page that exists (the one the form was on), not to the POST's URL.
    const [switched] = await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
    assert.equal(switched?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/admin/audit');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.goto(c.url('/audit?lang=zh'));
    // A script's POST without the header gets JSON saying the same.
    const res = await page.evaluate(async (url) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: r.status, body: await r.json() };
    }, c.url('/logout'));
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'csrf');
    // Still logged in.
    await page.goto(c.url('/audit'));
    assert.match(new URL(page.url()).pathname, /\/admin\/audit$/);
  });

  test('the session survives a restart of the server', async () => {
    await c.restart();
    await c.page.goto(c.url('/audit'));
    assert.match(new URL(c.page.url()).pathname, /\/admin\/audit$/);
    assert.equal(await c.page.textContent('.operator'), 'admin');
  });

  test('an expired session leads to the login page saying so, then back where the operator was', async () => {
    const page = c.page;
    const cookie = (await c.context.cookies()).find((k) => k.name === SESSION_COOKIE);
    assert.ok(cookie, 'session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.secure, false); // plain http here; Secure behind TLS is tested over HTTP in console-access.test.ts
    // No console page open meanwhile: its own requests (live feed, waiting-queue poll) would meet the
    // expiry first and clear the cookie, and the navigation below would find no session at all.
    await page.goto('about:blank');
    // Idle for longer than the idle limit (7 days by default).
    await c.server.store.consoleAccess.touchSession(hashToken(cookie.value), Date.now() - 8 * 86_400_000);
    await page.goto(c.url('/audit?x=1'));
    assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
    assert.equal((await page.textContent('#login-message'))?.trim(), '登录已过期，请重新登录。');
    await page.fill('#name', 'admin');
    await page.fill('#password', c.operator!.password);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/admin/audit?x=1');
  });

  test('logout ends the session: the console asks for the login again', async () => {
    const page = c.page;
    await page.goto(c.url('/audit'));
    await Promise.all([page.waitForLoadState('load'), page.click('form.logout button')]);
    assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
    assert.equal((await page.textContent('#login-message'))?.trim(), '已退出登录。');
    await page.goto(c.url('/audit'));
    assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
    const log = await c.server.store.consoleAccess.listAudit({ limit: 20 });
    assert.ok(log.some((e) => e.action === 'logout' && e.operator === 'admin'));
  });
});

describe('console login throttling in a browser', { skip }, () => {
  let c: ConsoleSession;
  before(async () => {
    c = await startConsole({
      login: false,
      env: { WXCOZE_ADMIN_LOGIN_LIMIT_IP: '3', WXCOZE_ADMIN_LOGIN_LIMIT_NAME: '2' },
    });
  });
  after(async () => {
    await c?.close();
  });

  const attempt = async (name: string, password: string) => {
    const page = c.page;
    await page.goto(c.url('/login'));
    await page.fill('#name', name);
    await page.fill('#password', password);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    // The page has loaded: a login page shows its message now, the console has none. (Waiting for
    // the selector would wait Playwright's 30 s on the console after a successful login.)
    const message = await page.$('#login-message');
    return ((await message?.textContent()) ?? '').trim();
  };

  test('per account: failures from several addresses lock the name, even for the right password', async () => {
    await c.page.setExtraHTTPHeaders({ 'x-forwarded-for': '198.51.100.1' });
    assert.match(await attempt('admin', 'wrong-1'), /用户名或密码不对/);
    await c.page.setExtraHTTPHeaders({ 'x-forwarded-for': '198.51.100.2' });
    assert.match(await attempt('admin', 'wrong-2'), /用户名或密码不对/);
    await c.page.setExtraHTTPHeaders({ 'x-forwarded-for': '198.51.100.3' });
    assert.match(await attempt('admin', c.operator!.password), /尝试次数太多，请 1[45] 分钟后再试/);
    assert.match(new URL(c.page.url()).pathname, /\/admin\/login$/);
    await c.screenshot('console-login-throttled');
    // Another operator is not locked by it.
    await c.page.setExtraHTTPHeaders({});
  });

  test('per address: after its failures (any names) that address is refused, the right password too', async () => {
    await c.server.store.consoleAccess.clearLoginFailures('op:admin');
    await c.page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.9' });
    for (const name of ['nobody', 'root', 'test'])
      assert.match(await attempt(name, 'guess'), /用户名或密码不对/);
    assert.match(await attempt('admin', c.operator!.password), /尝试次数太多/);
    // From another address the same right password works.
    await c.page.setExtraHTTPHeaders({ 'x-forwarded-for': '203.0.113.10' });
    await attempt('admin', c.operator!.password);
    await waitFor('the console after login', () => /\/admin\/?$/.test(new URL(c.page.url()).pathname));
    await c.page.setExtraHTTPHeaders({});
  });
});
