/**
 * Starts the real wxcoze server (in this process or as a child process) against the in-project
 * fakes of WeCom and Coze, on loopback ports, with a fresh data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_V8_FLAGS } from '../../src/server/v8-flags.js';
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { startFakeCoze } from '../../src/fakes/coze/index.js';
import { startFakeWecom } from '../../src/fakes/wecom/index.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { AlertReaders } from '../../src/ops/alerts/evaluator.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { freshDatabase, TEST_REDIS_URL } from './mysql.js';

/**
 * Which store the integration tests run on: the embedded default, or MariaDB + Redis when
 * WXCOZE_TEST_BACKEND=mysql (set by the entry files in test/integration/mysql/).
 */
export const BACKEND = process.env.WXCOZE_TEST_BACKEND === 'mysql' ? 'mysql' : 'embedded';

/** Environment for the chosen backend: a fresh database and a private Redis key prefix per call. */
export async function backendEnv(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  // Read now, not at import: a test file that sets WXCOZE_TEST_BACKEND itself has imported this module first.
  if (process.env.WXCOZE_TEST_BACKEND !== 'mysql') return { env: {}, cleanup: async () => {} };
  const db = await freshDatabase();
  return {
    // The shipped lease (3 min): an instance killed in a test is taken over by heartbeat
    // (WXCOZE_TAKEOVER_MS, 10 s). A short lease on a loaded machine expired under live workers.
    env: {
      WXCOZE_DATABASE_URL: db.url,
      WXCOZE_REDIS_URL: TEST_REDIS_URL,
      WXCOZE_REDIS_PREFIX: `wxcoze-test:${randomBytes(4).toString('hex')}:`,
    },
    cleanup: db.drop,
  };
}

export const CORP_ID = 'ww1436e0e65a779aee';
export const SECRET = 'test-kf-secret-0123456789';
export const TOKEN = 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo';
export const AES_KEY = '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt';
export const COZE_TOKEN = 'pat_test_token_abc';
export const BOT_ID = '7379462189365198898';
export const KF = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';
export const WORKFLOW_ID = '7440000000000000001';
export const BOT_ID_2 = '7379462189365198899';
export const KF_2 = 'wkAJ2GCAAASSm4_SecondAccount00000';
export const APP_ID = '7440000000000000002';

export type FakeWecom = Awaited<ReturnType<typeof startFakeWecom>>;
export type FakeCoze = Awaited<ReturnType<typeof startFakeCoze>>;

export async function startFakes(cozeOptions: Partial<Parameters<typeof startFakeCoze>[0]> = {}) {
  const wecom = await startFakeWecom({
    corpId: CORP_ID,
    secret: SECRET,
    callbackToken: TOKEN,
    encodingAesKey: AES_KEY,
    allowSyncWithoutToken: true,
  });
  const coze = await startFakeCoze({
    token: COZE_TOKEN,
    botIds: [BOT_ID, BOT_ID_2],
    workflowIds: [WORKFLOW_ID],
    ...cozeOptions,
  });
  wecom.addAccount(KF, '测试客服');
  wecom.addAccount(KF_2, '售后客服');
  return { wecom, coze };
}

/** The test credentials and a data directory: what loadConfig needs to accept a configuration. */
export function credentialEnv(dataDir: string): Record<string, string> {
  return {
    WECOM_CORP_ID: CORP_ID,
    WECOM_SECRET: SECRET,
    WECOM_TOKEN: TOKEN,
    WECOM_ENCODING_AES_KEY: AES_KEY,
    COZE_API_TOKEN: COZE_TOKEN,
    COZE_BOT_ID: BOT_ID,
    WXCOZE_DATA_DIR: dataDir,
  };
}

export function serverEnv(
  fakes: { wecom: FakeWecom; coze: FakeCoze },
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...credentialEnv(dataDir),
    WECOM_API_BASE: fakes.wecom.url,
    COZE_API_BASE: fakes.coze.url,
    WXCOZE_HOST: '127.0.0.1',
    PORT: '0',
    WXCOZE_RETRY_BASE_MS: '20',
    COZE_TIMEOUT_MS: '5000',
    ...extra,
  };
}

export function tempDir(prefix = 'wxcoze-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls until `check` returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Lets the bridge run a little longer, to catch a late duplicate. */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

export interface Harness {
  wecom: FakeWecom;
  coze: FakeCoze;
  server: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

/** Fakes + the real server in this process. */
export async function startHarness(
  /** Extra settings; a function when they depend on the fakes (a group robot's webhook URL). */
  extraEnv:
    Record<string, string> | ((fakes: { wecom: FakeWecom; coze: FakeCoze }) => Record<string, string>) = {},
  opts: {
    logger?: Logger;
    timeoutCheckIntervalMs?: number;
    testHooks?: boolean;
    /** The alerts' readers of the machine (disk, certificate) replaced. */
    alertReaders?: Partial<AlertReaders>;
  } = {},
): Promise<Harness> {
  const fakes = await startFakes();
  const dataDir = tempDir();
  const backend = await backendEnv();
  const extra = typeof extraEnv === 'function' ? extraEnv(fakes) : extraEnv;
  const { config, problems } = loadConfig({
    env: serverEnv(fakes, dataDir, { ...backend.env, ...extra }),
    cwd: dataDir,
  });
  if (problems.length) throw new Error(JSON.stringify(problems));
  const server = await startServer(
    config,
    opts.logger ?? createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' }),
    {
      ...(opts.timeoutCheckIntervalMs ? { timeoutCheckIntervalMs: opts.timeoutCheckIntervalMs } : {}),
      ...(opts.testHooks ? { testHooks: true } : {}),
      ...(opts.alertReaders ? { alertReaders: opts.alertReaders } : {}),
    },
  );
  fakes.wecom.setCallbackUrl(`${server.url}/wechat/hook`);
  return {
    ...fakes,
    server,
    dataDir,
    async close() {
      await server.stop(2000);
      await fakes.wecom.close();
      await fakes.coze.close();
      await backend.cleanup();
    },
  };
}

/**
 * The real CLI (`wxcoze start`) as a child process, for crash and signal tests. It gets the heap
 * flags the way the systemd unit gives them, so the child IS the server; `heapFlags: false` starts
 * it without them, as `node bin/wxcoze.js start` by hand would (the child is then the launcher).
 */
export async function spawnServer(
  env: Record<string, string>,
  opts: { heapFlags?: boolean } = {},
): Promise<{ child: ChildProcess; url: string; pid: number; output: () => string }> {
  // Loaded here, not at the top: only tests that spawn the CLI need dist built (cli-entry.ts).
  const { CLI_JS } = await import('./cli-entry.js');
  const child = spawn(
    process.execPath,
    [...(opts.heapFlags === false ? [] : SERVER_V8_FLAGS), CLI_JS, 'start'],
    {
      env: { ...process.env, ...env, WXCOZE_LOG_LEVEL: process.env.WXCOZE_TEST_LOG ?? 'info' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: env.WXCOZE_DATA_DIR,
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  let pid = 0;
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a cold start is slow on a loaded 2-core machine. A server that
    // never came up is killed, so it cannot hold the test file open until the runner's timeout.
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${out}`));
    }, 60_000);
    child.on('message', (m: any) => {
      if (m?.type === 'ready') {
        clearTimeout(t);
        pid = Number(m.pid);
        resolve(m.url);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return { child, url, pid, output: () => out };
}
