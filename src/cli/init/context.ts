/**
 * What the stages of `wxcoze init` share: the options, where current values come from, the answers
 * to write, and the steps left for the user ("walls"). Each stage reads what earlier stages wrote
 * here (e.g. the Coze token the chat check needs) instead of passing a dozen arguments along.
 */
import type { ChatTarget } from '../../coze/types.js';
import type { DataPaths } from '../lib/paths.js';
import { withDataDir } from '../lib/next-command.js';
import { FAIL, indent } from '../lib/ui.js';
import type { SetupProblem } from '../lib/wecom-setup.js';
import type { ValueOf } from './sources.js';

export interface InitOptions {
  yes?: boolean;
  cozeRegion?: string;
  cozeToken?: string;
  cozeTokenFile?: string;
  cozeTokenExpires?: string;
  cozeAuth?: string;
  cozeOauthAppId?: string;
  cozeOauthKeyId?: string;
  cozeOauthKeyFile?: string;
  botId?: string;
  workflowId?: string;
  appId?: string;
  checkChat?: boolean;
  corpId?: string;
  secret?: string;
  secretFile?: string;
  kfAccount?: string;
  wecomApiBase?: string;
  token?: string;
  tokenFile?: string;
  aesKey?: string;
  aesKeyFile?: string;
  regenerate?: boolean;
  domain?: string;
  port?: string;
  host?: string;
  tls?: string;
  httpPort?: string;
  httpsPort?: string;
  caddyStorage?: string;
  caddyAdmin?: string;
  caddyfile?: string;
  caddyReload?: boolean;
  caddy?: boolean;
  skipChecks?: boolean;
  printCallback?: boolean;
}

/** An answer the user must act on: shown when it happens and again at the end. */
export interface Wall extends SetupProblem {
  where: string;
}

/** Stops init with a message (exit 1, nothing written unless a stage already wrote it). */
export class InitAbort extends Error {}

export function problemText(p: SetupProblem): string {
  return withDataDir(`${p.problem}\n→ ${p.fix}`);
}

export interface InitContext {
  opts: InitOptions;
  /** false with --yes: every answer comes from flags, files, the environment or the existing config. */
  interactive: boolean;
  /** false with --skip-checks: nothing calls Coze or WeCom. */
  checks: boolean;
  cwd: string;
  dataDir: string;
  paths: DataPaths;
  /** The config file as it was before init (kept for every key init does not ask about). */
  existing: Record<string, string>;
  /** The current value of a config key: flag > secret file > environment > .env > existing config. */
  current: ValueOf;
  /** What gets written to the config file; undefined removes a key. */
  answers: Record<string, string | undefined>;
  walls: Wall[];
  /** Results earlier stages leave for later ones. */
  coze?: { apiBase: string; token: string; mode: 'bot' | 'chatflow'; target: ChatTarget };
  wecom?: { apiBase: string; proxy?: string; corpId: string; secret: string; tokenOk: boolean };
  callback?: { token: string; aesKey: string; generated: boolean };
  reach?: { domain?: string; port: string; host?: string };
}

/** Records a step left for the user; `show` also prints it now (a ✗ line, the fix under it). */
export function addWall(ctx: InitContext, where: string, p: SetupProblem, show = false): void {
  ctx.walls.push({ where, ...p });
  if (show) console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
}
