/**
 * Stage "console admin password": the operator console stays off until an operator exists, so init
 * creates the first one (`admin`). Interactive: the password is typed twice (hidden), or Enter
 * makes one up; `--yes`: WXCOZE_ADMIN_PASSWORD if set, else one is made up. A made-up password is
 * printed once. An install that already has operators is left as it is.
 */
import { password as passwordPrompt } from '@inquirer/prompts';
import { generatePassword, passwordProblem } from '../../../console/auth/password.js';
import { openStore } from '../../../store/index.js';
import { nextCommand } from '../../lib/next-command.js';
import { ADMIN_PASSWORD_ENV, readNewPassword, setOperatorPassword } from '../../lib/operators.js';
import { OK, bold, dim } from '../../lib/ui.js';
import type { InitContext } from '../context.js';
import type { Stage } from '../stage.js';

const NAME = 'admin';

async function choosePassword(ctx: InitContext): Promise<{ password: string; generated: boolean }> {
  if (!ctx.interactive) {
    if (!process.env[ADMIN_PASSWORD_ENV]) return { password: generatePassword(), generated: true };
    try {
      return await readNewPassword({});
    } catch (err) {
      throw new Error(`${ADMIN_PASSWORD_ENV}: ${(err as Error).message}`);
    }
  }
  const first = await passwordPrompt({
    message: 'Password for the web console (user admin; Enter: make one up)',
    mask: '*',
    validate: (v) => {
      const p = v === '' ? undefined : passwordProblem(v);
      return p ? `The password ${p}; or press Enter to have one made up.` : true;
    },
  });
  if (first === '') return { password: generatePassword(), generated: true };
  await passwordPrompt({
    message: 'The same password again',
    mask: '*',
    validate: (v) => (v === first ? true : 'The two passwords differ: type the first one again.'),
  });
  return { password: first, generated: false };
}

export const adminPasswordStage: Stage = {
  title: 'Web console',
  async run(ctx) {
    const databaseUrl = ctx.answers.WXCOZE_DATABASE_URL ?? ctx.current('WXCOZE_DATABASE_URL');
    let store;
    try {
      store = await openStore({ dataDir: ctx.dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    } catch (err) {
      ctx.walls.push({
        where: 'web console',
        problem: `The store could not be opened to create the console's admin (${(err as Error).message}).`,
        fix: `Once the database answers, run \`${nextCommand('admin password')}\` to turn the console on.`,
      });
      return;
    }
    try {
      const existing = await store.consoleAccess.listOperators();
      if (existing.length) {
        console.log(
          `${OK()} console operators: ${existing.map((o) => o.name).join(', ')} ${dim(`(new password: ${nextCommand('admin password')})`)}`,
        );
        return;
      }
      const pw = await choosePassword(ctx);
      await setOperatorPassword(store, NAME, pw.password);
      console.log(`${OK()} console user ${bold(NAME)} created`);
      if (pw.generated)
        console.log(
          `  password: ${bold(pw.password)}  ${dim('(shown only now; change it: ' + nextCommand('admin password') + ')')}`,
        );
      const path = ctx.answers.WXCOZE_ADMIN_PATH ?? ctx.current('WXCOZE_ADMIN_PATH') ?? '/admin';
      const { domain, port, host } = ctx.reach ?? { port: '8000' };
      console.log(
        `  open ${domain ? `https://${domain}${path}` : `http://${host && host !== '0.0.0.0' ? host : '127.0.0.1'}:${port}${path}`}`,
      );
    } finally {
      await store.close();
    }
  },
};
