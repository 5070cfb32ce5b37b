/**
 * Stage "Coze chat check": the only proof that a bot is published to the API channel is a chat
 * (Coze answers 4015 otherwise), and a chat costs one call of the user's quota — so it is offered
 * interactively and run with `--yes` only when --check-chat asks for it.
 */
import { confirm, select } from '@inquirer/prompts';
import { probeChat } from '../../lib/coze-setup.js';
import { FAIL, OK, dim, indent } from '../../lib/ui.js';
import { addWall, InitAbort, problemText } from '../context.js';
import type { Stage } from '../stage.js';

export const cozeChatCheckStage: Stage = {
  enabled: (ctx) => ctx.checks,
  async run(ctx) {
    const { apiBase, token, mode, target } = ctx.coze!;
    let probe = Boolean(ctx.opts.checkChat);
    if (ctx.interactive && !ctx.opts.checkChat)
      probe = await confirm({
        message: `Send the ${mode} one test message to check it is published to the API? (uses one call of your Coze quota)`,
        default: true,
      });
    while (probe) {
      const r = await probeChat(apiBase, token, target);
      if (r.ok) {
        console.log(
          `${OK()} the ${mode} answered through the API${r.answer ? `: ${dim(JSON.stringify(r.answer.slice(0, 60)))}` : ''}`,
        );
        return;
      }
      if (!ctx.interactive) throw new InitAbort(`${FAIL()} Coze ${mode}: ${problemText(r.problem)}`);
      console.log(`${FAIL()} ${indent(problemText(r.problem), 2)}`);
      const next = await select({
        message: 'What now?',
        choices: [
          { name: 'I fixed it — check again', value: 'again' },
          { name: 'continue without this check', value: 'skip' },
        ],
      });
      if (next === 'skip') {
        addWall(ctx, 'Coze', r.problem);
        return;
      }
    }
  },
};
