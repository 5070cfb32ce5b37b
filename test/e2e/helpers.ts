/**
 * Runs the real CLI (dist/cli, as `bin/wxcoze.js` runs it; built by `npm test`) as a child process against
 * the in-project fakes, with a fresh data directory and nothing from the developer's environment.
 */
import { execa, type Options } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeCoze, type FakeCoze } from '../../src/fakes/coze/index.js';
import { startFakeWecom, type FakeWecom } from '../../src/fakes/wecom/index.js';
import { CLI_JS } from '../helpers/cli-entry.js';
import { tempDir as harnessTempDir } from '../helpers/harness.js';

export const ROOT = join(import.meta.dirname, '../..');
/** The built CLI (test/helpers/cli-entry.ts says why not src through tsx). */
export const CLI = CLI_JS;

export const CORP_ID = 'ww1436e0e65a779aee';
export const SECRET = 'kf-secret-abcdefghijklmnop-XYZ';
export const COZE_TOKEN = 'pat_e2eTokenAbcdefghijklmnopqrstu9Zq';
export const BOT_ID = '7379462189365198898';
export const UNPUBLISHED_BOT = '7379462189365190001';
export const KF = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';
export const KF_NAME = '门店客服';

export interface Fakes {
  wecom: FakeWecom;
  coze: FakeCoze;
  close(): Promise<void>;
}

export async function startFakes(
  cozeOptions: Partial<Parameters<typeof startFakeCoze>[0]> = {},
): Promise<Fakes> {
  const wecom = await startFakeWecom({ corpId: CORP_ID, secret: SECRET, allowSyncWithoutToken: true });
  const coze = await startFakeCoze({
    token: COZE_TOKEN,
    botIds: [BOT_ID],
    unpublishedBotIds: [UNPUBLISHED_BOT],
    ...cozeOptions,
  });
  wecom.addAccount(KF, KF_NAME);
  return {
    wecom,
    coze,
    async close() {
      await wecom.close();
      await coze.close();
    },
  };
}

export function tempDir(prefix = 'wxcoze-e2e-'): string {
  return harnessTempDir(prefix);
}

/** Stands in for /etc/caddy/Caddyfile: tests run as root and must never edit the machine's Caddy. */
const NO_SYSTEM_CADDY = join(mkdtempSync(join(tmpdir(), 'wxcoze-e2e-etc-caddy-')), 'Caddyfile');

/** A clean environment: PATH and HOME only, plus what the test sets. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NO_COLOR: '1',
    WXCOZE_LOG_LEVEL: 'info',
    WXCOZE_CADDY_MAIN: NO_SYSTEM_CADDY,
  };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Flags for a complete `init --yes` against the fakes. */
export function initFlags(f: Fakes, port: number, more: string[] = []): string[] {
  return [
    'init',
    '--yes',
    '--coze-region',
    f.coze.url,
    '--coze-token',
    COZE_TOKEN,
    '--bot-id',
    BOT_ID,
    '--corp-id',
    CORP_ID,
    '--secret',
    SECRET,
    '--wecom-api-base',
    f.wecom.url,
    '--port',
    String(port),
    '--no-caddy-reload',
    ...more,
  ];
}

/** An empty working directory (no stray .env) for CLI runs. */
const WORK = mkdtempSync(join(tmpdir(), 'wxcoze-e2e-cwd-'));

/** One CLI run; never throws on a non-zero exit (tests look at exitCode). */
export async function cli(args: string[], env: Record<string, string>, opts: Options = {}) {
  const r = await execa(process.execPath, [CLI, ...args], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 60_000,
    cwd: WORK,
    ...opts,
  });
  return { exitCode: r.exitCode ?? -1, out: String(r.all ?? ''), stdout: String(r.stdout ?? '') };
}

export { freePort, waitFor } from '../helpers/harness.js';

/** The CLI as a child to signal or read while it runs (cli() waits for the exit). */
export function spawnCli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, ...args], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
    cwd: WORK,
  });
}
