/**
 * Stage "summary": what to run and what to paste into the WeCom console, then every step left
 * (walls) in one list, so a problem shown mid-way is not lost in the scrollback.
 */
import { nextCommand } from '../../lib/next-command.js';
import { FAIL, WARN, bold, indent } from '../../lib/ui.js';
import { printCallback } from '../callback-instructions.js';
import { problemText } from '../context.js';
import type { Stage } from '../stage.js';

export const summaryStage: Stage = {
  async run(ctx) {
    const { domain, port, host } = ctx.reach!;
    const { token, aesKey, generated } = ctx.callback!;
    printCallback(domain, Number(port), token, aesKey, generated, host);
    const n = ctx.walls.length;
    if (!n) return;
    console.log(
      `\n${WARN()} ${bold(`${n} setup step${n === 1 ? '' : 's'} left`)} (\`${nextCommand('doctor')}\` checks ${n === 1 ? 'it' : 'them'} again):`,
    );
    for (const w of ctx.walls) console.log(`  ${FAIL()} ${w.where}: ${indent(problemText(w), 4)}`);
  },
};
