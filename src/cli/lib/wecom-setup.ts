/**
 * Live WeCom checks for `init` and `doctor`, and the setup walls in words: what went wrong and
 * exactly where in the admin console to fix it (docs/protocol.md §kf-accounts, §wecom-errcodes, §access-token, §wecom-admin).
 */
import { silentLogger } from '../../log/logger.js';
import { WecomApi, type KfAccount } from '../../wecom/api.js';
import { WecomApiError, WecomTransportError, describeErrcode } from '../../wecom/errors.js';

export interface SetupProblem {
  /** WeCom errcode / Coze code, when there was one. */
  code?: number;
  problem: string;
  fix: string;
}

export interface WecomTarget {
  apiBase: string;
  /** WXCOZE_WECOM_PROXY: the checks go the way the server's calls go. */
  proxy?: string;
  corpId: string;
  secret: string;
}

/** WeCom names the caller's address in its errmsg: "…, from ip: 1.2.3.4, more info at …". */
export function outboundIpFrom(errmsg: string | undefined): string | undefined {
  const m = /from ip:\s*([0-9a-fA-F.:]+[0-9a-fA-F])/.exec(errmsg ?? '');
  return m?.[1];
}

/** The 60020 wall, with the IP WeCom saw. */
export function trustedIpProblem(ip: string | undefined): SetupProblem {
  const who = ip ?? "this server's public IP (WeCom's message did not name it)";
  return {
    code: 60020,
    problem: `WeCom refused the call because it came from ${ip ? `IP ${ip}` : 'an IP'} that is not in the app's trusted IPs (errcode 60020, 企业可信IP).`,
    fix:
      `In the WeCom admin console (work.weixin.qq.com) open 应用管理 → your self-built app (the one bound to 微信客服) → 企业可信IP → 配置, ` +
      `add ${who} and save; it applies after about a minute. The console offers 企业可信IP only after the app has a callback URL ` +
      `(接收消息 → 设置API接收) or a 可信域名: set the callback URL first (\`wxcoze verify\` checks it before you click Save), then add the IP.`,
  };
}

export const NOT_MANAGED_BY_API: SetupProblem = {
  code: 48002,
  problem:
    'WeCom says this app may not use the 微信客服 API (errcode 48002): the kf accounts are not handed to the app.',
  fix:
    'In the WeCom admin console open 微信客服 → API (通过API管理微信客服账号) → 可调用接口的应用, choose your self-built app, ' +
    'then 修改 → tick the kf account(s) wxcoze should answer, and save. Check again after that.',
};

/** What a failed WeCom call means for someone setting up, and what to do. */
export function explainWecom(err: unknown, t: { corpId: string; apiBase: string }): SetupProblem {
  if (err instanceof WecomApiError) {
    switch (err.errcode) {
      case 60020:
        return trustedIpProblem(outboundIpFrom(err.errmsg));
      case 48002:
        return NOT_MANAGED_BY_API;
      case 40013:
        return {
          code: 40013,
          problem: `WeCom does not know the CorpID "${t.corpId}" (errcode 40013).`,
          fix: 'Copy it from the admin console: 我的企业 → 企业信息 → 企业ID (18 characters, starts with "ww").',
        };
      case 40001:
        return {
          code: 40001,
          problem: `WeCom rejected the Secret for CorpID ${t.corpId} (errcode 40001).`,
          fix:
            'Use the Secret of the self-built app that manages 微信客服: 应用管理 → 自建 → your app → Secret → 查看 (WeCom sends it to the admin in the WeCom app). ' +
            "The 通讯录/客户联系 secrets don't work. Careful: many wrong attempts can block this server's IP for an hour.",
        };
      case 45009:
        return {
          code: 45009,
          problem: 'WeCom is rate-limiting this server (errcode 45009), often after repeated wrong secrets.',
          fix: 'Wait an hour (or a minute for per-minute limits), then check again with the right Secret.',
        };
      case 95011:
      case 95012:
        return {
          code: err.errcode,
          problem: `WeCom refused the token for 微信客服 (errcode ${err.errcode}: ${describeErrcode(err.errcode)}).`,
          fix: 'Use the Secret of the self-built app bound under 微信客服 → API → 可调用接口的应用, not the standalone 微信客服 secret (or the reverse).',
        };
      default:
        return {
          code: err.errcode,
          problem: `WeCom answered errcode ${err.errcode}: ${err.meaning}.`,
          fix: `Look the code up at https://open.work.weixin.qq.com/devtool/query?e=${err.errcode} (WeCom said: "${err.errmsg}").`,
        };
    }
  }
  if (err instanceof WecomTransportError) {
    return {
      problem: `Could not get an answer from WeCom at ${t.apiBase} (${err.message}).`,
      fix: `Check this server's outbound internet access and DNS (\`curl -sI ${t.apiBase}\`), or WECOM_API_BASE if you set one.`,
    };
  }
  return {
    problem: `Unexpected error talking to WeCom: ${(err as Error)?.message ?? String(err)}`,
    fix: 'Run `wxcoze doctor` for a full check; report the error if it persists.',
  };
}

export function wecomApi(t: WecomTarget, timeoutMs = 8000): WecomApi {
  return new WecomApi({
    baseUrl: t.apiBase,
    ...(t.proxy ? { proxy: t.proxy } : {}),
    corpId: t.corpId,
    secret: t.secret,
    logger: silentLogger(),
    timeoutMs,
  });
}

export type Outcome<T> = ({ ok: true } & T) | { ok: false; problem: SetupProblem; error: unknown };

/** gettoken: CorpID + Secret accepted, from an IP WeCom trusts. */
export async function checkWecomToken(api: WecomApi, t: WecomTarget): Promise<Outcome<object>> {
  try {
    await api.getAccessToken();
    return { ok: true };
  } catch (error) {
    return { ok: false, problem: explainWecom(error, t), error };
  }
}

export async function listKfAccounts(
  api: WecomApi,
  t: WecomTarget,
): Promise<Outcome<{ accounts: KfAccount[] }>> {
  try {
    return { ok: true, accounts: await api.listAccounts() };
  } catch (error) {
    return { ok: false, problem: explainWecom(error, t), error };
  }
}

/** Whether the chosen kf account (or any, when none is chosen) can be answered through the API. */
export function kfAccountProblem(
  accounts: KfAccount[],
  openKfId: string | undefined,
): SetupProblem | undefined {
  if (accounts.length === 0) {
    return {
      problem: 'This app can see no 微信客服 account.',
      fix: 'Create one under 微信客服 → 客服账号 → 添加, then hand it to the app: 微信客服 → API → 可调用接口的应用 → your app → 修改 → tick the account.',
    };
  }
  if (!openKfId) {
    if (accounts.some((a) => a.manage_privilege !== false)) return undefined;
    return {
      problem: 'None of the kf accounts is managed by this app through the API (manage_privilege false).',
      fix: '微信客服 → API → 可调用接口的应用 → your app → 修改 → tick the account(s) wxcoze should answer.',
    };
  }
  const acc = accounts.find((a) => a.open_kfid === openKfId);
  if (!acc) {
    return {
      problem: `The kf account ${openKfId} (WECOM_OPEN_KFID) is not among the accounts this app can see: ${accounts.map((a) => `"${a.name}"`).join(', ')}.`,
      fix: 'Run `wxcoze init` again to pick one of them, or hand that account to this app under 微信客服 → API → 可调用接口的应用.',
    };
  }
  if (acc.manage_privilege === false) {
    return {
      problem: `The kf account "${acc.name}" is listed but not managed by this app through the API (manage_privilege false), so its messages never reach wxcoze.`,
      fix: `微信客服 → API → 可调用接口的应用 → your app → 修改 → tick "${acc.name}" and save. An account is handed to one app at a time: take it away from any other app or tool first.`,
    };
  }
  return undefined;
}
