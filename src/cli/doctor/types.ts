/** The doctor's vocabulary: one check per module under ./checks, each returning a CheckResult. */
import type { LoadedConfig } from '../../config/load.js';
import type { WxcozeConfig } from '../../config/types.js';
import type { KfAccount, WecomApi } from '../../wecom/api.js';
import type { NetOptions } from '../lib/callback-verify.js';
import type { DataPaths } from '../lib/paths.js';
import type { Outcome } from '../lib/wecom-setup.js';

export interface CheckResult {
  ok: boolean;
  title: string;
  /** What was found, one line. */
  detail: string;
  /** What to do, when not ok. */
  fix?: string;
  /** Could not be checked (e.g. it needs something another check reports missing); does not fail the run. */
  skipped?: boolean;
  /**
   * Not failed, but not proven either (shown with "!" and its fix): e.g. a bot found whose
   * publication to the API only a test chat can prove. Does not fail the run.
   */
  warning?: boolean;
}

export interface DoctorOptions extends NetOptions {
  /** The public callback URL (default https://<WXCOZE_DOMAIN>/wechat/hook). */
  url?: string;
  /** Send one test message to the bot (proves it is published to the API; costs one call). */
  probeChat?: boolean;
}

export interface DoctorContext {
  loaded: LoadedConfig;
  config: WxcozeConfig;
  paths: DataPaths;
  opts: DoctorOptions;
  /** Keys with a configuration problem: checks that need them skip. */
  badKeys: Set<string>;
  /** gettoken, once for all checks. */
  wecomToken(): Promise<{ api: WecomApi; outcome: Outcome<object> }>;
  /** kf/account/list, once for all checks (after gettoken). */
  kfAccounts(): Promise<Outcome<{ accounts: KfAccount[] }>>;
  /**
   * A Coze token, once for all checks: COZE_API_TOKEN checked with /v1/users/me (`who`: its user), or
   * one the OAuth app gets from the token endpoint (`who`: the app; `expiresAt` set).
   */
  cozeAccess(): Promise<Outcome<{ token: string; who: string; expiresAt?: number }>>;
}

export interface DoctorCheck {
  id: string;
  title: string;
  run(ctx: DoctorContext): Promise<CheckResult>;
}

export const pass = (title: string, detail: string): CheckResult => ({ ok: true, title, detail });
export const fail = (title: string, detail: string, fix: string): CheckResult => ({
  ok: false,
  title,
  detail,
  fix,
});
export const skip = (title: string, detail: string): CheckResult => ({
  ok: true,
  skipped: true,
  title,
  detail,
});
export const warn = (title: string, detail: string, fix: string): CheckResult => ({
  ok: true,
  warning: true,
  title,
  detail,
  fix,
});

/** Skip result when any of `keys` is missing or invalid. */
export function needs(ctx: DoctorContext, title: string, keys: string[]): CheckResult | undefined {
  const bad = keys.filter((k) => ctx.badKeys.has(k));
  return bad.length
    ? skip(title, `needs a valid ${bad.join(', ')} (see the configuration check)`)
    : undefined;
}
