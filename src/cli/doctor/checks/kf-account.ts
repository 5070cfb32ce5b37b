import { kfAccountProblem } from '../../lib/wecom-setup.js';
import { type DoctorCheck, fail, pass, skip } from '../types.js';

/** The kf account is handed to this app's API (48002 otherwise) and, when one is configured, is managed by it. */
export const kfAccountCheck: DoctorCheck = {
  id: 'kf-account',
  title: 'kf account managed by the API',
  async run(ctx) {
    const { outcome } = await ctx.wecomToken();
    if (!outcome.ok) return skip(this.title, 'needs an access token (see the WeCom checks above)');
    const list = await ctx.kfAccounts();
    if (!list.ok) {
      if (list.problem.code === 60020) return skip(this.title, 'needs a trusted IP (previous check)');
      return fail(this.title, list.problem.problem, list.problem.fix);
    }
    const problem = kfAccountProblem(list.accounts, ctx.config.wecom.openKfId);
    if (problem) return fail(this.title, problem.problem, problem.fix);
    const acc = list.accounts.find((a) => a.open_kfid === ctx.config.wecom.openKfId);
    return pass(
      this.title,
      acc
        ? `"${acc.name}" (${acc.open_kfid})`
        : `${list.accounts.filter((a) => a.manage_privilege !== false).length} account(s) managed by this app`,
    );
  },
};
