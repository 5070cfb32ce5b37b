import { WecomCrypto } from '../../../wecom/crypto.js';
import { verifyCallback } from '../../lib/callback-verify.js';
import { publicCallbackUrl } from '../../commands/verify.js';
import { type DoctorCheck, fail, needs, pass, skip } from '../types.js';

/** WeCom's URL verification played against the public URL, through Caddy, to the running wxcoze. */
export const publicCallbackCheck: DoctorCheck = {
  id: 'public-callback',
  title: 'public callback URL reachable and verifying',
  async run(ctx) {
    const missing = needs(ctx, this.title, ['WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_CORP_ID']);
    if (missing) return missing;
    const url = publicCallbackUrl(ctx.config, ctx.opts.url);
    if (!url)
      return skip(this.title, 'no public domain configured (WXCOZE_DOMAIN via `wxcoze init`, or --url)');
    const crypto = new WecomCrypto(
      ctx.config.wecom.token,
      ctx.config.wecom.encodingAesKey,
      ctx.config.wecom.corpId,
    );
    const r = await verifyCallback(url, crypto, {
      ...ctx.opts,
      public: true,
      localPort: ctx.config.server.port,
    });
    if (r.ok) return pass(this.title, `${r.url} answered WeCom's verification in ${r.elapsedMs} ms`);
    return fail(
      this.title,
      `${r.url}: step "${r.failed!.step}" failed: ${r.failed!.detail}`,
      r.failed!.fix ?? 'Run `wxcoze verify` for the details.',
    );
  },
};
