/**
 * Stage "kf account": which 微信客服 account wxcoze answers. The accounts are listed from WeCom for
 * the user to pick (so this is a choice, not a typed value), and 48002 or an account this app does
 * not manage is explained. Needs a working access token, so it is skipped when the WeCom stage
 * could not get one; the account is then kept as given, and `wxcoze doctor` checks it later.
 */
import { select } from '@inquirer/prompts';
import type { KfAccount } from '../../../wecom/api.js';
import { nextCommand } from '../../lib/next-command.js';
import { FAIL, OK, dim, indent } from '../../lib/ui.js';
import { kfAccountProblem, listKfAccounts, wecomApi, type SetupProblem } from '../../lib/wecom-setup.js';
import { addWall, problemText, type InitContext } from '../context.js';
import type { Stage } from '../stage.js';

async function chooseAccount(ctx: InitContext, given: string | undefined): Promise<string | undefined> {
  const t = ctx.wecom!;
  let openKfId = given;
  for (;;) {
    const a = wecomApi(t);
    const list = await listKfAccounts(a, t);
    await a.close();
    const accounts: KfAccount[] = list.ok ? list.accounts : [];
    const managed = accounts.filter((x) => x.manage_privilege !== false);
    // --yes without --kf-account: the only managed account is the obvious pick.
    if (!ctx.interactive && !openKfId && managed.length === 1) openKfId = managed[0]!.open_kfid;
    let problem: SetupProblem | undefined = list.ok
      ? kfAccountProblem(accounts, ctx.interactive ? undefined : openKfId)
      : list.problem;
    if (!problem && ctx.interactive) {
      openKfId = await select({
        message: '微信客服 account to answer',
        choices: accounts.map((x) => ({
          name: `${x.name}  ${dim(x.open_kfid)}`,
          value: x.open_kfid,
          ...(x.manage_privilege === false
            ? {
                disabled:
                  '(not managed by this app: 微信客服 → API → 可调用接口的应用 → your app → 修改 → tick it)',
              }
            : {}),
        })),
        default: managed.some((x) => x.open_kfid === openKfId) ? openKfId : managed[0]?.open_kfid,
      });
      problem = kfAccountProblem(accounts, openKfId);
    }
    if (!problem) {
      const acc = accounts.find((x) => x.open_kfid === openKfId);
      console.log(
        `${OK()} ${acc ? `kf account "${acc.name}" (${acc.open_kfid}) is managed by this app` : `${accounts.length} kf account(s) managed by this app`}`,
      );
      return openKfId;
    }
    if (!ctx.interactive) {
      addWall(ctx, 'WeCom', problem, true);
      return openKfId;
    }
    console.log(`${FAIL()} ${indent(problemText(problem), 2)}`);
    const next = await select({
      message: 'What now?',
      choices: [
        { name: 'I fixed it — check again', value: 'again' },
        {
          name: `continue without a kf account (\`${nextCommand('doctor')}\` checks it later)`,
          value: 'later',
        },
      ],
    });
    if (next === 'later') {
      addWall(ctx, 'WeCom', problem);
      return openKfId;
    }
  }
}

export const kfAccountStage: Stage = {
  async run(ctx) {
    const given = ctx.current('WECOM_OPEN_KFID');
    ctx.answers.WECOM_OPEN_KFID = ctx.checks && ctx.wecom!.tokenOk ? await chooseAccount(ctx, given) : given;
  },
};
