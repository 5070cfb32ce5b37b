/** Runs the doctor's checks against one loaded configuration, sharing the WeCom calls between them. */
import { loadConfig } from '../../config/load.js';
import type { KfAccount, WecomApi } from '../../wecom/api.js';
import { checkCozeOAuth, checkCozeToken } from '../lib/coze-setup.js';
import { dataPaths } from '../lib/paths.js';
import { checkWecomToken, listKfAccounts, wecomApi, type Outcome } from '../lib/wecom-setup.js';
import { CHECKS } from './checks/index.js';
import type { CheckResult, DoctorContext, DoctorOptions } from './types.js';

export async function runDoctor(
  opts: DoctorOptions = {},
  onResult?: (r: CheckResult) => void,
): Promise<CheckResult[]> {
  const loaded = loadConfig();
  const { config } = loaded;
  const target = {
    apiBase: config.wecom.apiBase,
    ...(config.wecom.proxy ? { proxy: config.wecom.proxy } : {}),
    corpId: config.wecom.corpId,
    secret: config.wecom.secret,
  };
  let token: Promise<{ api: WecomApi; outcome: Outcome<object> }> | undefined;
  let accounts: Promise<Outcome<{ accounts: KfAccount[] }>> | undefined;
  let coze: ReturnType<DoctorContext['cozeAccess']> | undefined;
  const ctx: DoctorContext = {
    loaded,
    config,
    paths: dataPaths(config.dataDir),
    opts,
    badKeys: new Set(loaded.problems.map((p) => p.key)),
    wecomToken() {
      token ??= (async () => {
        const api = wecomApi(target);
        return { api, outcome: await checkWecomToken(api, target) };
      })();
      return token;
    },
    kfAccounts() {
      accounts ??= this.wecomToken().then(({ api }) => listKfAccounts(api, target));
      return accounts;
    },
    cozeAccess() {
      coze ??= (async () => {
        const { apiBase, apiToken, oauth } = config.coze;
        if (oauth) {
          const r = await checkCozeOAuth(apiBase, oauth);
          return r.ok
            ? { ok: true as const, token: r.token, who: `OAuth app ${oauth.appId}`, expiresAt: r.expiresAt }
            : r;
        }
        const r = await checkCozeToken(apiBase, apiToken);
        return r.ok ? { ok: true as const, token: apiToken, who: `user ${r.user}` } : r;
      })();
      return coze;
    },
  };
  const results: CheckResult[] = [];
  try {
    for (const check of CHECKS) {
      let r: CheckResult;
      try {
        r = await check.run(ctx);
      } catch (err) {
        r = {
          ok: false,
          title: check.title,
          detail: `the check itself failed: ${(err as Error).message}`,
          fix: 'Report this as a wxcoze bug, with the output of `wxcoze doctor --json`.',
        };
      }
      results.push(r);
      onResult?.(r);
    }
  } finally {
    if (token) await (await token).api.close();
  }
  return results;
}
