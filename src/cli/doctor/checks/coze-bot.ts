import { chatTargetOf } from '../../../coze/target.js';
import { checkCozeBot, probeChat } from '../../lib/coze-setup.js';
import { type DoctorCheck, fail, needs, pass, skip, warn } from '../types.js';

/**
 * The bot exists for this token (metadata); with --probe-chat, it answers through the API (4015
 * otherwise). Without the chat, publication is unproven: a warning, never a tick that claims it.
 */
export const cozeBotCheck: DoctorCheck = {
  id: 'coze-bot',
  title: 'Coze bot',
  async run(ctx) {
    const missing = needs(ctx, this.title, [
      'COZE_API_TOKEN',
      'COZE_API_BASE',
      'COZE_JWT_OAUTH_CLIENT_ID',
      'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
      'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
      'COZE_BOT_ID',
      'COZE_WORKFLOW_ID',
      'COZE_APP_ID',
    ]);
    if (missing) return missing;
    const access = await ctx.cozeAccess();
    if (!access.ok) return skip(this.title, 'needs a Coze token that works (see "Coze token and region")');
    const apiToken = access.token;
    const { apiBase, botId, workflowId, appId } = ctx.config.coze;
    let detail: string;
    if (botId) {
      const r = await checkCozeBot(apiBase, apiToken, botId);
      if (!r.ok) return fail(this.title, r.problem.problem, r.problem.fix);
      detail = `bot ${botId} "${r.name}"`;
    } else {
      detail = `chatflow ${workflowId}${appId ? ` in app ${appId}` : ''}`;
    }
    if (!ctx.opts.probeChat) {
      return warn(
        this.title,
        `${detail} found; not yet proven to be published to the API (only a chat proves that)`,
        '`wxcoze doctor --probe-chat` sends the bot one test message (one call of your Coze quota) and shows whether it answers through the API.',
      );
    }
    const chat = await probeChat(apiBase, apiToken, chatTargetOf(ctx.config.coze));
    if (!chat.ok) return fail(this.title, chat.problem.problem, chat.problem.fix);
    return pass(this.title, `${detail} is published to the API: it answered a test message`);
  },
};
