import { type DoctorCheck, fail, needs, pass } from '../types.js';

/** CorpID + Secret give an access token (gettoken). 60020 means they are right but the IP is not trusted. */
export const wecomTokenCheck: DoctorCheck = {
  id: 'wecom-token',
  title: 'WeCom CorpID and Secret',
  async run(ctx) {
    const missing = needs(ctx, this.title, ['WECOM_CORP_ID', 'WECOM_SECRET', 'WECOM_API_BASE']);
    if (missing) return missing;
    const { outcome } = await ctx.wecomToken();
    if (outcome.ok) return pass(this.title, `access token issued for ${ctx.config.wecom.corpId}`);
    if (outcome.problem.code === 60020)
      return pass(
        this.title,
        `accepted for ${ctx.config.wecom.corpId}, but the call came from an untrusted IP (next check)`,
      );
    return fail(this.title, outcome.problem.problem, outcome.problem.fix);
  },
};
