import { regionOf, REGIONS, tokenPage } from '../../lib/coze-setup.js';
import { type DoctorCheck, fail, needs, pass, warn } from '../types.js';

/** How long before a personal access token expires doctor (and the alerts) start warning. */
export const TOKEN_WARN_MS = 7 * 86_400_000;

const day = (ms: number, offsetMin: number) => new Date(ms + offsetMin * 60_000).toISOString().slice(0, 10);

/**
 * Coze accepts what wxcoze authenticates with, in the configured region: the access token
 * (/v1/users/me), whose recorded expiry is warned about a week ahead; or the OAuth service app (a
 * token from the token endpoint: app id, key id, private key file and region at once).
 */
export const cozeTokenCheck: DoctorCheck = {
  id: 'coze-token',
  title: 'Coze token and region',
  async run(ctx) {
    const missing = needs(ctx, this.title, [
      'COZE_API_TOKEN',
      'COZE_API_BASE',
      'COZE_JWT_OAUTH_CLIENT_ID',
      'COZE_JWT_OAUTH_PUBLIC_KEY_ID',
      'COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH',
    ]);
    if (missing) return missing;
    const { apiBase, oauth, tokenExpiresAt } = ctx.config.coze;
    const region = regionOf(apiBase);
    const where = region ? REGIONS[region].name : apiBase;
    const r = await ctx.cozeAccess();
    if (!r.ok) return fail(this.title, r.problem.problem, r.problem.fix);
    if (oauth)
      return pass(
        this.title,
        `${r.who} got an access token from ${where} (valid for ${Math.round(((r.expiresAt ?? Date.now()) - Date.now()) / 60_000)} min; wxcoze renews it by itself)`,
      );
    const accepted = `accepted by ${where} (${r.who})`;
    const renew = `Create a new personal access token at ${tokenPage(apiBase)}, put it in COZE_API_TOKEN (\`wxcoze init\` asks for it, and for its expiry date) and restart; or switch to an OAuth service app, whose tokens wxcoze renews by itself (\`wxcoze init\`, "OAuth app").`;
    if (tokenExpiresAt === undefined)
      return pass(
        this.title,
        `${accepted}; its expiry is not recorded (set WXCOZE_COZE_TOKEN_EXPIRES_AT to the date Coze showed, and doctor warns a week before)`,
      );
    // The business's calendar, as the console's charts read it (WXCOZE_UTC_OFFSET, +08:00 by default).
    const offset = ctx.config.service.quietHours?.offsetMin ?? 480;
    const left = tokenExpiresAt - Date.now();
    if (left <= 0)
      return fail(
        this.title,
        `the Coze token was recorded to expire on ${day(tokenExpiresAt, offset)} (WXCOZE_COZE_TOKEN_EXPIRES_AT), which has passed, yet Coze still accepts it: the recorded date is wrong, or it is about to stop`,
        `${renew} If the date is simply wrong, correct WXCOZE_COZE_TOKEN_EXPIRES_AT.`,
      );
    const days = Math.floor(left / 86_400_000);
    const when = `${day(tokenExpiresAt, offset)} (${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} from now)`;
    if (left <= TOKEN_WARN_MS)
      return warn(
        this.title,
        `${accepted}, but it expires on ${when}: then every answer fails until it is replaced`,
        renew,
      );
    return pass(this.title, `${accepted}; expires on ${when}`);
  },
};
