/**
 * Stage "Coze": the region (API base); how wxcoze signs in — a personal access token (checked live,
 * with the date it expires) or an OAuth service app (app id, public key id, private key file: one
 * access token fetched live proves them); and what answers the customers — a bot, or a chatflow.
 */
import { input, select } from '@inquirer/prompts';
import { maskSecret } from '../../../config/write.js';
import type { ChatTarget } from '../../../coze/types.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPrivateKeyFile, PrivateKeyError } from '../../../coze/private-key.js';
import {
  apiBaseFromRegion,
  checkCozeBot,
  checkCozeOAuth,
  checkCozeToken,
  oauthAppsPage,
  regionOf,
  REGIONS,
  tokenPage,
} from '../../lib/coze-setup.js';
import { dim, FAIL, indent, OK } from '../../lib/ui.js';
import { ask, bySchema, schemaVerdict } from '../ask.js';
import { InitAbort, problemText, type InitContext } from '../context.js';
import type { Stage } from '../stage.js';

async function askApiBase(ctx: InitContext): Promise<string> {
  const current = ctx.current('COZE_API_BASE') ?? REGIONS.cn.api;
  // flagLayer marks an unknown --coze-region so it is refused here, in either mode.
  if (current.startsWith('invalid:'))
    throw new InitAbort(`--coze-region ${current.slice(8)}: use cn, com or an http(s) URL.`);
  if (!ctx.interactive) return current;
  const region = await select({
    message: 'Coze region',
    choices: [
      { name: `coze.cn (扣子, ${REGIONS.cn.api})`, value: 'cn' },
      { name: `coze.com (${REGIONS.com.api})`, value: 'com' },
      { name: 'another API base URL', value: 'custom' },
    ],
    default: regionOf(current) ?? 'custom',
  });
  if (region !== 'custom') return REGIONS[region as 'cn' | 'com'].api;
  const typed = await input({
    message: 'Coze API base URL',
    default: regionOf(current) ? undefined : current,
    validate: (v) => schemaVerdict('COZE_API_BASE', v, 'Type an http(s) URL, e.g. https://api.coze.cn'),
  });
  return apiBaseFromRegion(typed)!;
}

async function askTarget(
  ctx: InitContext,
  apiBase: string,
  token: string,
): Promise<{ mode: 'bot' | 'chatflow'; target: ChatTarget }> {
  // A workflow id anywhere means chatflow, unless --bot-id says otherwise on this run.
  let mode: 'bot' | 'chatflow' = ctx.current('COZE_WORKFLOW_ID') && !ctx.opts.botId ? 'chatflow' : 'bot';
  if (ctx.opts.workflowId) mode = 'chatflow';
  if (ctx.interactive) {
    mode = await select({
      message: 'What answers the customers?',
      choices: [
        { name: 'a bot (智能体), published to the API channel', value: 'bot' as const },
        { name: 'a chatflow (对话流) in an app', value: 'chatflow' as const },
      ],
      default: mode,
    });
  }
  if (mode === 'bot') {
    const botId = await ask(ctx, {
      key: 'COZE_BOT_ID',
      flag: '--bot-id',
      message: 'Bot id',
      validate: async (id) => {
        const form = schemaVerdict(
          'COZE_BOT_ID',
          id,
          "The bot id is the long number after /bot/ in the bot's address in the Coze editor.",
        );
        if (form !== true || !ctx.checks) return form;
        const r = await checkCozeBot(apiBase, token, id);
        return r.ok ? true : problemText(r.problem);
      },
      refuse: (_, problem) => `${FAIL()} Coze bot: ${problem}`,
    });
    if (ctx.checks) console.log(`${OK()} bot ${botId} found`);
    Object.assign(ctx.answers, { COZE_BOT_ID: botId, COZE_WORKFLOW_ID: undefined, COZE_APP_ID: undefined });
    return { mode, target: { kind: 'bot', botId } };
  }
  const idFix = (what: string) => `The ${what} id is a long number from its address in the Coze editor.`;
  const workflowId = await ask(ctx, {
    key: 'COZE_WORKFLOW_ID',
    flag: '--workflow-id',
    message: 'Chatflow (workflow) id',
    validate: bySchema('COZE_WORKFLOW_ID', idFix('workflow')),
  });
  // The app id is asked for interactively; `--yes` accepts a chatflow without one.
  const appId = await ask(ctx, {
    key: 'COZE_APP_ID',
    flag: '--app-id',
    message: 'App id',
    validate: bySchema('COZE_APP_ID', idFix('app')),
    optional: true,
  });
  Object.assign(ctx.answers, { COZE_WORKFLOW_ID: workflowId, COZE_APP_ID: appId, COZE_BOT_ID: undefined });
  return { mode, target: { kind: 'chatflow', workflowId, ...(appId ? { appId } : {}) } };
}

const OAUTH_KEYS = [
  'COZE_JWT_OAUTH_CLIENT_ID',
  'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
  'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
] as const;

/** Token or OAuth app: --coze-auth; else the one configured (the app when its id is known); interactive, asked. */
async function askAuth(ctx: InitContext): Promise<'token' | 'oauth'> {
  const flag = ctx.opts.cozeAuth;
  if (flag !== undefined && flag !== 'token' && flag !== 'oauth')
    throw new InitAbort(
      `--coze-auth ${flag}: use token (a personal access token) or oauth (an OAuth service app).`,
    );
  // What is configured wins; a new install is offered the app interactively (`--yes` needs a token or the app's flags).
  const current: 'token' | 'oauth' =
    flag ??
    (ctx.current('COZE_JWT_OAUTH_CLIENT_ID') && !ctx.opts.cozeToken
      ? 'oauth'
      : ctx.current('COZE_API_TOKEN') || !ctx.interactive
        ? 'token'
        : 'oauth');
  if (!ctx.interactive) return current;
  return select({
    message: 'How does wxcoze sign in to Coze?',
    choices: [
      {
        name: 'a personal access token (pat_…): quick to make, but it expires after 30 days at most',
        value: 'token' as const,
      },
      {
        name: 'an OAuth service app (服务类应用): wxcoze renews its tokens by itself, nothing to replace by hand',
        value: 'oauth' as const,
      },
    ],
    default: current,
  });
}

/** The personal access token, checked live, and the date it expires (optional: doctor warns a week before). */
async function askToken(ctx: InitContext, apiBase: string): Promise<string> {
  const token = await ask(ctx, {
    key: 'COZE_API_TOKEN',
    flag: '--coze-token-file',
    message: 'Coze access token',
    secret: true,
    emptyHint: `Create one at ${tokenPage(apiBase)}, and paste it here.`,
    validate: async (t) => {
      if (!ctx.checks) return true;
      const r = await checkCozeToken(apiBase, t);
      return r.ok ? true : problemText(r.problem);
    },
    refuse: (_, problem) => `${FAIL()} Coze token: ${problem}`,
  });
  if (ctx.checks) console.log(`${OK()} Coze token ${maskSecret(token)} accepted by ${apiBase}`);
  const expires = await ask(ctx, {
    key: 'WXCOZE_COZE_TOKEN_EXPIRES_AT',
    flag: '--coze-token-expires',
    message:
      'When does this token expire? (the date Coze showed when you made it, YYYY-MM-DD; Enter to skip)',
    optional: true,
    fallback: '',
    // A new token: the old one's date is not offered.
    offerCurrent: token === ctx.current('COZE_API_TOKEN'),
    validate: (v) => {
      if (v === '') return true;
      const form = schemaVerdict('WXCOZE_COZE_TOKEN_EXPIRES_AT', v);
      if (form !== true) return form;
      // The loader accepts a past date (doctor then says it has passed); init is being told it now.
      const day = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T23:59:59+08:00` : v;
      return Date.parse(day) > Date.now()
        ? true
        : `WXCOZE_COZE_TOKEN_EXPIRES_AT ${v} has passed: the token no longer works. Create a new one at ${tokenPage(apiBase)}.`;
    },
  });
  Object.assign(ctx.answers, {
    COZE_API_TOKEN: token,
    WXCOZE_COZE_TOKEN_EXPIRES_AT: expires || undefined,
    ...Object.fromEntries(OAUTH_KEYS.map((k) => [k, undefined])),
  });
  if (!expires && ctx.interactive)
    console.log(
      dim(
        '  No expiry recorded: `wxcoze doctor` cannot warn before the token stops. An OAuth app never needs this.',
      ),
    );
  return token;
}

/** A relative path is taken from where init runs; `~/` is the home directory. */
const fullPath = (cwd: string) => (v: string) =>
  v === '' ? v : v.startsWith('~/') ? join(homedir(), v.slice(2)) : resolve(cwd, v);

/**
 * The OAuth service app: its id, the public key id and the private key file, then one access token
 * from Coze — the live proof all three (and the region) fit. Returns that token for the checks after.
 */
async function askOAuth(ctx: InitContext, apiBase: string): Promise<string> {
  if (ctx.interactive)
    console.log(
      dim(
        `  Make the app at ${oauthAppsPage(apiBase)}: 创建新应用, 应用类型 普通, 客户端类型 服务类应用; in its settings 创建 Key\n` +
          '  (the browser downloads private_key.pem: copy it to this server, chmod 600), tick the permissions\n' +
          "  (chat, the bot's workspace, files), 确定, then 授权.",
      ),
    );
  // After a refusal the question comes again with what was typed as the default (Enter keeps it).
  const typed: Record<string, string> = {};
  const asker = { interactive: ctx.interactive, current: (k: string) => typed[k] ?? ctx.current(k) };
  for (;;) {
    const appId = await ask(asker, {
      key: 'COZE_JWT_OAUTH_CLIENT_ID',
      flag: '--coze-oauth-app-id',
      message: 'OAuth app id (应用 ID)',
      validate: bySchema('COZE_JWT_OAUTH_CLIENT_ID'),
    });
    const keyId = await ask(asker, {
      key: 'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
      flag: '--coze-oauth-key-id',
      message: 'Public key id (公钥指纹, shown next to the key)',
      validate: bySchema('COZE_JWT_OAUTH_PUBLIC_KEY_ID'),
    });
    const privateKeyFile = await ask(asker, {
      key: 'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
      flag: '--coze-oauth-key-file',
      message: 'Path of private_key.pem on this server',
      normalise: fullPath(ctx.cwd),
      validate: (v) => {
        const form = schemaVerdict('COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH', v);
        if (form !== true) return form;
        try {
          loadPrivateKeyFile(v);
          return true;
        } catch (err) {
          if (err instanceof PrivateKeyError) return `${err.problem}\n→ ${err.fix}`;
          throw err;
        }
      },
      refuse: (_, problem) => `${FAIL()} Coze OAuth app: ${problem}`,
    });
    Object.assign(typed, {
      COZE_JWT_OAUTH_CLIENT_ID: appId,
      COZE_JWT_OAUTH_PUBLIC_KEY_ID: keyId,
      COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: privateKeyFile,
    });
    Object.assign(ctx.answers, {
      COZE_JWT_OAUTH_CLIENT_ID: appId,
      COZE_JWT_OAUTH_PUBLIC_KEY_ID: keyId,
      COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: privateKeyFile,
      COZE_API_TOKEN: undefined,
      WXCOZE_COZE_TOKEN_EXPIRES_AT: undefined,
    });
    if (!ctx.checks) return '';
    const r = await checkCozeOAuth(apiBase, { appId, keyId, privateKeyFile });
    if (r.ok) {
      console.log(
        `${OK()} OAuth app ${appId} got an access token from ${apiBase}: wxcoze renews it by itself`,
      );
      return r.token;
    }
    if (!ctx.interactive) throw new InitAbort(`${FAIL()} Coze OAuth app: ${problemText(r.problem)}`);
    console.log(`${FAIL()} ${indent(problemText(r.problem), 2)}`);
    console.log(dim('  Enter keeps each answer; change the one that is wrong.'));
  }
}

export const cozeStage: Stage = {
  title: 'Coze',
  async run(ctx) {
    const apiBase = await askApiBase(ctx);
    ctx.answers.COZE_API_BASE = apiBase;
    const token =
      (await askAuth(ctx)) === 'oauth' ? await askOAuth(ctx, apiBase) : await askToken(ctx, apiBase);
    ctx.coze = { apiBase, token, ...(await askTarget(ctx, apiBase, token)) };
  },
};
