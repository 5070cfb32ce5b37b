/**
 * Live Coze checks for `init` and `doctor` (docs/protocol.md §coze-hosts, §coze-errors, §coze-checks): token → bot metadata →
 * optionally one tiny chat (the only proof a bot is published to the API channel; it costs a call
 * of the free quota, so it is opt-in). Every failure comes back as problem + fix.
 */
import { CozeClient } from '../../coze/client.js';
import { settingProblem } from '../../config/load.js';
import { CozeError, describeCozeError } from '../../coze/errors.js';
import { fetchOAuthToken } from '../../coze/oauth.js';
import { loadPrivateKeyFile, PrivateKeyError } from '../../coze/private-key.js';
import type { ChatTarget } from '../../coze/types.js';
import type { Outcome, SetupProblem } from './wecom-setup.js';

export const REGIONS = {
  cn: { name: 'coze.cn', api: 'https://api.coze.cn', web: 'https://www.coze.cn' },
  com: { name: 'coze.com', api: 'https://api.coze.com', web: 'https://www.coze.com' },
} as const;

export type Region = keyof typeof REGIONS;

export function regionOf(apiBase: string): Region | undefined {
  const base = apiBase.replace(/\/+$/, '');
  if (base === REGIONS.cn.api) return 'cn';
  if (base === REGIONS.com.api) return 'com';
  return undefined;
}

/** `cn`, `com`, coze.cn, coze.com, or a URL → the API base. */
export function apiBaseFromRegion(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'cn' || v === 'coze.cn' || v === 'china') return REGIONS.cn.api;
  if (v === 'com' || v === 'coze.com' || v === 'global') return REGIONS.com.api;
  // Anything else must be what COZE_API_BASE accepts: an http(s) URL.
  return settingProblem('COZE_API_BASE', value) === undefined ? value.trim().replace(/\/+$/, '') : undefined;
}

/**
 * Where tokens are made, in words. Only coze.cn and coze.com have a known console: a console
 * address is never guessed from a custom API base (a proxy or private deployment has none there).
 */
export function tokenPage(apiBase: string): string {
  const r = regionOf(apiBase);
  if (r) return `${REGIONS[r].web}/open/oauth/pats (API 管理 → 个人访问令牌)`;
  return (
    `the console of the Coze that serves ${apiBase} (a custom API base, not coze.cn or coze.com, so wxcoze cannot tell its address: ` +
    `on coze.cn it is ${REGIONS.cn.web}/open/oauth/pats, on coze.com ${REGIONS.com.web}/open/oauth/pats — API 管理 → 个人访问令牌; for a private deployment, ask its administrator)`
  );
}

/** The bot editor address pattern, only where the console is known. */
function botPage(apiBase: string): string {
  const r = regionOf(apiBase);
  return r ? `${REGIONS[r].web}/space/<space>/bot/<id>` : '…/space/<space>/bot/<id> in the Coze console';
}

export interface CozeContext {
  apiBase: string;
  botId?: string;
  workflowId?: string;
  appId?: string;
  /** Set when the token was accepted by the other region's API. */
  otherRegion?: Region;
}

const tokenFix = (apiBase: string) =>
  `Create a personal access token at ${tokenPage(apiBase)}, with the permissions chat, getMetadata and uploadFile ` +
  `and the bot's workspace, and use it here. Personal tokens expire after at most 30 days (a service access token can last).`;

/** What a failed Coze call means during setup, in words. */
export function explainCoze(err: unknown, ctx: CozeContext, step: 'token' | 'bot' | 'chat'): SetupProblem {
  if (!(err instanceof CozeError))
    return {
      problem: `Unexpected error talking to Coze: ${(err as Error)?.message ?? String(err)}`,
      fix: 'Run `wxcoze doctor`; report the error if it persists.',
    };
  const code = err.code || undefined;
  const said = err.msg ? ` Coze said: "${err.msg}".` : '';
  switch (err.kind) {
    case 'auth': {
      if (ctx.otherRegion) {
        const other = REGIONS[ctx.otherRegion];
        return {
          code,
          problem: `The token belongs to ${other.name}, but ${ctx.apiBase} was chosen (4100: authentication is invalid).`,
          fix: `Choose the ${other.name} region (COZE_API_BASE=${other.api}): accounts, tokens and bots never cross regions.`,
        };
      }
      return {
        code,
        problem: `Coze rejected the token at ${ctx.apiBase} (4100: invalid or expired).${said}`,
        fix: `${tokenFix(ctx.apiBase)} A coze.com token does not work on api.coze.cn, nor the reverse: check the region.`,
      };
    }
    case 'permission':
      return {
        code,
        problem: `The token lacks a permission or workspace${ctx.botId && step !== 'token' ? ` for bot ${ctx.botId}` : ''} (4101).${said}`,
        fix: `Edit the token at ${tokenPage(ctx.apiBase)} → 编辑: add the workspace the bot is in and tick chat, getMetadata and uploadFile. A token of the other region (coze.cn vs coze.com) fails the same way.`,
      };
    case 'not_published':
      return {
        code,
        problem: `The bot ${ctx.botId ?? ''} is not published to the API channel (4015).${said}`,
        fix: 'In Coze open the bot → 发布 (Publish) → tick "API" (Agent as API / Bot as API) → 发布. Each change to the bot needs a new publish before the API sees it.',
      };
    case 'bot_invalid':
      return botUnknown(ctx, code);
    case 'quota':
      return {
        code,
        problem: `The Coze account is out of quota or balance (${err.code}).${said}`,
        fix: 'Top up or upgrade the Coze plan, or wait for the daily limit to reset (free accounts stop after 500 API calls in total).',
      };
    case 'network':
    case 'timeout':
      return {
        code,
        problem: `Could not get an answer from Coze at ${ctx.apiBase} (${err.msg}).`,
        fix: `Check this server's outbound internet access and DNS (\`curl -sI ${ctx.apiBase}\`), and the region: coze.cn is https://api.coze.cn, coze.com is https://api.coze.com.`,
      };
    default:
      if (err.code === 4200 || (err.httpStatus === 404 && step !== 'token')) {
        if (ctx.workflowId) {
          return {
            code,
            problem: `Coze has no published chatflow ${ctx.workflowId}${ctx.appId ? ` in app ${ctx.appId}` : ''} (4200).${said}`,
            fix: 'Publish the app with the API channel ticked, then copy the workflow id from the chatflow page (…/workflow/<id>) and the app id from the app page (…/app/<id>).',
          };
        }
        return botUnknown(ctx, code);
      }
      return {
        code,
        problem: describeCozeError(err),
        fix: code
          ? `Look up code ${code} in the Coze API docs (错误码), or run \`wxcoze doctor\`.`
          : 'Run `wxcoze doctor`.',
      };
  }
}

function botUnknown(ctx: CozeContext, code: number | undefined): SetupProblem {
  return {
    code,
    problem: `Coze has no bot ${ctx.botId ?? ''} that this token can reach (${code ?? 'not found'}).`,
    fix: `Open the bot in the Coze editor: its id is the long number after /bot/ in the address bar (${botPage(ctx.apiBase)}). A coze.com bot is unknown to api.coze.cn (and the reverse), and the token must cover the bot's workspace.`,
  };
}

/** Where service apps are made and their keys shown, in words (known only for coze.cn and coze.com). */
export function oauthAppsPage(apiBase: string): string {
  const r = regionOf(apiBase);
  return r
    ? `${REGIONS[r].web}/open/oauth/apps (API 管理 → 授权 → OAuth 应用)`
    : 'the Coze console → API 管理 → 授权 → OAuth 应用';
}

export interface OAuthApp {
  appId: string;
  keyId: string;
  privateKeyFile: string;
}

/** What the token endpoint's refusal of the app's JWT means, in words (docs/protocol.md §coze-oauth-jwt). */
export function explainOAuth(err: unknown, apiBase: string, app: OAuthApp): SetupProblem {
  if (!(err instanceof CozeError) || !err.oauthError) return explainCoze(err, { apiBase }, 'token');
  const said = `(${err.oauthError}${err.msg && err.msg !== err.oauthError ? `: "${err.msg}"` : ''})`;
  const page = oauthAppsPage(apiBase);
  if (err.oauthError === 'invalid_client' && /kid/i.test(err.msg))
    return {
      problem: `Coze at ${apiBase} does not know the public key id ${app.keyId} ${said}.`,
      fix: `Copy the 公钥指纹 shown next to the key in the service app at ${page} into COZE_JWT_OAUTH_PUBLIC_KEY_ID. An app made on coze.com is unknown to api.coze.cn, and the reverse: check the region too.`,
    };
  if (err.oauthError === 'invalid_client')
    return {
      problem: `Coze refused the JWT signed with ${app.privateKeyFile} ${said}: that private key is not the one of public key ${app.keyId}, or ${app.appId} is not the app the key belongs to.`,
      fix: `Open the service app at ${page}: check its 应用 ID (COZE_JWT_OAUTH_CLIENT_ID) and the 公钥指纹 of the key whose private_key.pem you use (COZE_JWT_OAUTH_PUBLIC_KEY_ID). If unsure which file is which, 创建 Key there, put the new private_key.pem on this server (chmod 600) and use its 公钥指纹.`,
    };
  if (err.oauthError === 'access_deny' || err.oauthError === 'access_denied')
    return {
      problem: `Coze says the OAuth app ${app.appId} is disabled or not authorized ${said}.`,
      fix: `Enable the app and click 授权 at ${page}.`,
    };
  return {
    problem: `Coze's token endpoint refused the OAuth app ${app.appId} ${said}.`,
    fix: `Check the app at ${page}; run \`wxcoze doctor\` again, and report the message if it persists.`,
  };
}

/**
 * The OAuth app, live: its private key file (owner-only, an RSA key), then one access token from the
 * token endpoint, which proves the app id, the key id, the key and the region together.
 */
export async function checkCozeOAuth(
  apiBase: string,
  app: OAuthApp,
): Promise<Outcome<{ token: string; expiresAt: number }>> {
  let privateKey;
  try {
    privateKey = loadPrivateKeyFile(app.privateKeyFile);
  } catch (error) {
    if (!(error instanceof PrivateKeyError)) throw error;
    return { ok: false, problem: { problem: error.problem, fix: error.fix }, error };
  }
  try {
    const t = await fetchOAuthToken({
      apiBase,
      appId: app.appId,
      keyId: app.keyId,
      privateKey,
      timeoutMs: 15_000,
      connectTimeoutMs: 5000,
    });
    return { ok: true, ...t };
  } catch (error) {
    return { ok: false, problem: explainOAuth(error, apiBase, app), error };
  }
}

export function cozeClient(apiBase: string, token: string, timeoutMs = 15_000): CozeClient {
  return new CozeClient({ baseUrl: apiBase, token, timeoutMs, connectTimeoutMs: 5000 });
}

/** /v1/users/me. On 4100 against a public region, tries the other region to say which one the token is for. */
export async function checkCozeToken(apiBase: string, token: string): Promise<Outcome<{ user: string }>> {
  try {
    const me = await cozeClient(apiBase, token).getMe();
    return { ok: true, user: me.nick_name || me.user_name || me.user_id };
  } catch (error) {
    const ctx: CozeContext = { apiBase };
    const region = regionOf(apiBase);
    if (region && error instanceof CozeError && error.kind === 'auth') {
      const other: Region = region === 'cn' ? 'com' : 'cn';
      try {
        await cozeClient(REGIONS[other].api, token, 5000).getMe();
        ctx.otherRegion = other;
      } catch {
        /* not valid there either */
      }
    }
    return { ok: false, problem: explainCoze(error, ctx, 'token'), error };
  }
}

export async function checkCozeBot(
  apiBase: string,
  token: string,
  botId: string,
): Promise<Outcome<{ name: string }>> {
  try {
    const bot = await cozeClient(apiBase, token).getBot(botId);
    return { ok: true, name: bot.name };
  } catch (error) {
    return { ok: false, problem: explainCoze(error, { apiBase, botId }, 'bot'), error };
  }
}

/** One tiny chat ("ping"): proves the bot or chatflow is published to the API and answers. Costs one call. */
export async function probeChat(
  apiBase: string,
  token: string,
  target: ChatTarget,
): Promise<Outcome<{ answer: string }>> {
  try {
    const res = await cozeClient(apiBase, token, 60_000).chat({
      target,
      userId: 'wxcoze-setup-check',
      messages: [{ role: 'user', content: 'ping', content_type: 'text' }],
      autoSaveHistory: false,
    });
    return { ok: true, answer: res.text };
  } catch (error) {
    const ctx: CozeContext = {
      apiBase,
      ...(target.kind === 'bot'
        ? { botId: target.botId }
        : { workflowId: target.workflowId, ...(target.appId ? { appId: target.appId } : {}) }),
    };
    return { ok: false, problem: explainCoze(error, ctx, 'chat'), error };
  }
}
