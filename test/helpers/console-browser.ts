/**
 * The operator console in a real browser: the real server (fakes of WeCom and Coze, a fresh data
 * directory, the backend WXCOZE_TEST_BACKEND chooses) with an operator created, and Debian's
 * Chromium driven by playwright-core (never a downloaded browser), logged in.
 *
 *   const c = await startConsole();            // logged in as admin, page at <base> (the conversations)
 *   await c.page.goto(c.url('/failed'));
 *   await c.screenshot('failed');              // docs/screenshots/failed.png
 *   await c.close();
 *
 * Tests that use it skip loudly without Chromium (a failure in CI): `{ skip: needsChromium }`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { hashPassword } from '../../src/console/auth/password.js';
import { loadConfig } from '../../src/config/load.js';
import type { WxcozeConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { backendEnv, serverEnv, startFakes, tempDir, type FakeCoze, type FakeWecom } from './harness.js';
import { requireTool } from './requirements.js';

/** false when Chromium runs here; otherwise the loud skip reason (a failure in CI). */
export const needsChromium: string | false = requireTool('chromium');

export const CHROMIUM = process.env.WXCOZE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = join(import.meta.dirname, '../../docs/screenshots');

/** Flags for a quiet, offline, sandbox-free headless Chromium (the machine's, as root in CI). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  // playwright gives every launch a fresh temporary profile (its own --user-data-dir) and adds --headless.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface ConsoleOptions {
  /** Extra server settings (e.g. WXCOZE_ADMIN_LOGIN_LIMIT_IP). */
  env?: Record<string, string>;
  /** The operator created before the browser starts (default admin / correct-horse-battery). null: none. */
  operator?: { name: string; password: string } | null;
  /** Log in before returning (default true when there is an operator). */
  login?: boolean;
  /** Browser language (default zh-CN). */
  locale?: string;
  /** Default 1280×800; a phone is { width: 390, height: 844 }. */
  viewport?: { width: number; height: number };
}

export interface ConsoleSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  server: RunningServer;
  wecom: FakeWecom;
  coze: FakeCoze;
  config: WxcozeConfig;
  dataDir: string;
  /** The server's origin, e.g. http://127.0.0.1:40123 (changes after restart()). */
  baseUrl: string;
  /** The console's path, e.g. /admin. */
  base: string;
  operator: { name: string; password: string } | null;
  /** baseUrl + base + path: url('/audit'). */
  url(path?: string): string;
  /** Fills and submits the login form on `page` (default: the session's page). */
  login(name?: string, password?: string, page?: Page): Promise<void>;
  /** Stops the server and starts it again on the same data directory / database (a new port). */
  restart(): Promise<void>;
  /** Writes docs/screenshots/<name>.png (full page) and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_OPERATOR = { name: 'admin', password: 'correct-horse-battery' };

export async function startConsole(opts: ConsoleOptions = {}): Promise<ConsoleSession> {
  const fakes = await startFakes();
  const dataDir = tempDir('wxcoze-console-');
  const backend = await backendEnv();
  const { config, problems } = loadConfig({
    env: serverEnv(fakes, dataDir, { ...backend.env, ...(opts.env ?? {}) }),
    cwd: dataDir,
  });
  if (problems.length) throw new Error(JSON.stringify(problems));
  const logger = () => createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' });
  let server = await startServer(config, logger());
  fakes.wecom.setCallbackUrl(`${server.url}/wechat/hook`);
  const operator = opts.operator === undefined ? DEFAULT_OPERATOR : opts.operator;
  if (operator)
    await server.store.consoleAccess.setOperator(
      operator.name,
      await hashPassword(operator.password),
      Date.now(),
    );

  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await server.stop(2000);
    await fakes.wecom.close();
    await fakes.coze.close();
    await backend.cleanup();
    throw err;
  }
  const context = await browser.newContext({
    locale: opts.locale ?? 'zh-CN',
    viewport: opts.viewport ?? { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const base = config.console.path;

  const s: ConsoleSession = {
    browser,
    context,
    page,
    server,
    wecom: fakes.wecom,
    coze: fakes.coze,
    config,
    dataDir,
    baseUrl: server.url,
    base,
    operator,
    url: (path = '') => `${s.baseUrl}${base}${path}`,
    async login(name = operator?.name ?? '', password = operator?.password ?? '', p = page) {
      await p.goto(s.url('/login'));
      await p.fill('#name', name);
      await p.fill('#password', password);
      await Promise.all([p.waitForLoadState('load'), p.click('button[type=submit]')]);
    },
    async restart() {
      await server.stop(2000);
      server = await startServer(config, logger());
      s.server = server;
      s.baseUrl = server.url;
      fakes.wecom.setCallbackUrl(`${server.url}/wechat/hook`);
    },
    async screenshot(name, p = page) {
      mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      const path = join(SCREENSHOTS_DIR, `${name}.png`);
      await p.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close().catch(() => {});
      await server.stop(2000);
      await fakes.wecom.close();
      await fakes.coze.close();
      await backend.cleanup();
    },
  };
  if (operator && opts.login !== false) {
    await s.login();
    if (new URL(page.url()).pathname.startsWith(`${base}/login`))
      throw new Error(`login did not reach the console: ${page.url()}`);
  }
  return s;
}
