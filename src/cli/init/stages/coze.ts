/**
 * Stage "Coze": the region (API base), the access token (checked live), and what answers the
 * customers — a bot, or a chatflow in an app.
 */
import { input, select } from '@inquirer/prompts';
import { maskSecret } from '../../../config/write.js';
import type { ChatTarget } from '../../../coze/types.js';
import {
  apiBaseFromRegion,
  checkCozeBot,
  checkCozeToken,
  regionOf,
  REGIONS,
  tokenPage,
} from '../../lib/coze-setup.js';
import { FAIL, OK } from '../../lib/ui.js';
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

export const cozeStage: Stage = {
  title: 'Coze',
  async run(ctx) {
    const apiBase = await askApiBase(ctx);
    ctx.answers.COZE_API_BASE = apiBase;
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
    ctx.answers.COZE_API_TOKEN = token;
    ctx.coze = { apiBase, token, ...(await askTarget(ctx, apiBase, token)) };
  },
};
