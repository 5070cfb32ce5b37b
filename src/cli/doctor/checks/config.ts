import { type DoctorCheck, fail, pass } from '../types.js';

/** Every required value present and well-formed (the same rules `start` applies). */
export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'configuration complete and valid',
  async run(ctx) {
    const { problems, configFile } = ctx.loaded;
    if (problems.length === 0) return pass(this.title, `all values present (${configFile}, .env and environment)`);
    return fail(this.title, problems.map((p) => p.problem).join('; '), problems.map((p) => p.fix).join('\n'));
  },
};
