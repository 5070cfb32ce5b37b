import { request } from 'undici';
import { type DoctorCheck, fail, pass, skip } from '../types.js';

const MAX_SKEW_S = 30;

/** Compares this machine's clock with the Date header of WeCom's (or Coze's) API. */
export const clockCheck: DoctorCheck = {
  id: 'clock',
  title: 'clock in sync',
  async run(ctx) {
    for (const base of [ctx.config.wecom.apiBase, ctx.config.coze.apiBase]) {
      try {
        const before = Date.now();
        const res = await request(`${base}/`, { method: 'HEAD', headersTimeout: 5000, bodyTimeout: 5000 });
        await res.body.dump();
        const after = Date.now();
        const date = res.headers.date;
        if (!date) continue;
        const theirs = Date.parse(String(date));
        if (!Number.isFinite(theirs)) continue;
        // The header has 1 s resolution: compare with the middle of the round trip.
        const skew = Math.round(((before + after) / 2 - theirs) / 1000);
        const where = new URL(base).host;
        if (Math.abs(skew) <= MAX_SKEW_S)
          return pass(this.title, `within ${Math.max(1, Math.abs(skew))} s of ${where}`);
        return fail(
          this.title,
          `this machine's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} ${where}`,
          'Turn on time synchronisation: `sudo timedatectl set-ntp true` (or install chrony), then check `timedatectl`.',
        );
      } catch {
        /* try the next one */
      }
    }
    return skip(this.title, 'neither the WeCom nor the Coze API answered with a date');
  },
};
