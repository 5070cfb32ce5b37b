import { type DoctorCheck, fail, needs, pass, skip } from '../types.js';

/** Error 60020: this server's outbound IP is not in the app's 企业可信IP. The IP comes from WeCom's own errmsg. */
export const trustedIpCheck: DoctorCheck = {
  id: 'trusted-ip',
  title: "this server's IP trusted by WeCom (60020)",
  async run(ctx) {
    const missing = needs(ctx, this.title, ['WECOM_CORP_ID', 'WECOM_SECRET', 'WECOM_API_BASE']);
    if (missing) return missing;
    const { outcome } = await ctx.wecomToken();
    if (!outcome.ok) {
      if (outcome.problem.code === 60020)
        return fail(this.title, outcome.problem.problem, outcome.problem.fix);
      return skip(this.title, 'needs a working CorpID and Secret (previous check)');
    }
    // The token call passed; the kf API is where newer apps meet 60020 too.
    const list = await ctx.kfAccounts();
    if (!list.ok && list.problem.code === 60020)
      return fail(this.title, list.problem.problem, list.problem.fix);
    return pass(this.title, 'WeCom accepted calls from this server');
  },
};
