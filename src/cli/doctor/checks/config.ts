import { SETTINGS } from '../../../config/schema.js';
import { type DoctorCheck, fail, pass } from '../types.js';

const where = (source: string | undefined) =>
  source === undefined ? '' : source === 'env' ? ' (from the environment)' : ` (from ${source})`;

/**
 * Every setting through the config schema (the same rules `start` applies): each problem with
 * where its value came from, so the right file gets fixed.
 */
export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'configuration complete and valid',
  async run(ctx) {
    const { problems, configFile, sources } = ctx.loaded;
    const total = Object.keys(SETTINGS).length;
    const set = Object.keys(sources).filter((k) => k in SETTINGS).length;
    if (problems.length === 0)
      return pass(
        this.title,
        `${set} of ${total} settings set, all valid (${configFile}, .env and environment)`,
      );
    const fixes = [...new Set(problems.map((p) => p.fix))];
    return fail(
      this.title,
      problems.map((p) => `${p.problem}${where(sources[p.key])}`).join('; '),
      fixes.join('\n'),
    );
  },
};
