import { checkCozeToken, regionOf, REGIONS } from '../../lib/coze-setup.js';
import { type DoctorCheck, fail, needs, pass } from '../types.js';

/** The Coze token is accepted by the configured region's API (/v1/users/me). */
export const cozeTokenCheck: DoctorCheck = {
  id: 'coze-token',
  title: 'Coze token and region',
  async run(ctx) {
    const missing = needs(ctx, this.title, ['COZE_API_TOKEN', 'COZE_API_BASE']);
    if (missing) return missing;
    const { apiBase, apiToken } = ctx.config.coze;
    const r = await checkCozeToken(apiBase, apiToken);
    const region = regionOf(apiBase);
    const where = region ? REGIONS[region].name : apiBase;
    if (r.ok) return pass(this.title, `accepted by ${where} (user ${r.user})`);
    return fail(this.title, r.problem.problem, r.problem.fix);
  },
};
