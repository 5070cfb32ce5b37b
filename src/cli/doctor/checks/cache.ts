import { probeCache } from '../../../store/coordination/probe.js';
import { type DoctorCheck, fail, pass } from '../types.js';

/** Redis (locks, token cache) answers when several instances share it; in-process otherwise. */
export const cacheCheck: DoctorCheck = {
  id: 'cache',
  title: 'locks and cache reachable',
  async run(ctx) {
    const r = await probeCache(ctx.config.store?.redisUrl, ctx.config.store?.redisPrefix);
    if (r.reachable) {
      const hint =
        r.kind === 'memory' && ctx.config.store?.databaseUrl
          ? ' — set WXCOZE_REDIS_URL before running a second instance'
          : '';
      return pass(this.title, `${r.kind} ${r.where}${hint}`);
    }
    return fail(
      this.title,
      `Redis ${r.where} does not answer: ${r.error}`,
      'Start Redis (or fix WXCOZE_REDIS_URL: host, port, password). While it is down, callbacks are still acknowledged but pulls wait; nothing is lost.',
    );
  },
};
