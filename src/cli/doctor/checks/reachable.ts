import { WecomCrypto } from '../../../wecom/crypto.js';
import { localCallbackUrl } from '../../commands/verify.js';
import { verifyCallback } from '../../lib/callback-verify.js';
import { firewallNote, isLoopbackHost, isLoopbackUrl } from '../../lib/listen-address.js';
import { runningServer } from '../../lib/runstate.js';
import { type DoctorCheck, fail, needs, pass, skip } from '../types.js';

/**
 * Something WeCom can call leads to wxcoze: a domain (or --url) with a proxy in front, or wxcoze itself
 * listening on all interfaces. There is no outside vantage point here, so the check is the
 * configuration, what the running server really listens on, and WeCom's URL check played locally.
 */
export const reachableCheck: DoctorCheck = {
  id: 'reachable',
  title: 'WeCom can reach this server',
  async run(ctx) {
    const { host, port } = ctx.config.server;
    const front =
      ctx.opts.url ?? (ctx.config.domain ? `https://${ctx.config.domain}/wechat/hook` : undefined);
    const choose = `Run \`wxcoze init\` again and choose how WeCom reaches this server: a domain (Caddy in front, HTTPS), or no domain — listen on all interfaces (WXCOZE_HOST=0.0.0.0) and give WeCom http://<this server's public IP>:${port}/wechat/hook. Then restart wxcoze (\`wxcoze stop && wxcoze start --daemon\`).`;
    if (!front && isLoopbackHost(host)) {
      const fakes = isLoopbackUrl(ctx.config.wecom.apiBase)
        ? ` (The WeCom API at ${ctx.config.wecom.apiBase} is on this machine — the fakes? — and can call it; the real WeCom cannot.)`
        : '';
      return fail(
        this.title,
        `wxcoze listens on ${host}:${port}, which only this machine can connect to, and no domain is set: no callback URL WeCom can call leads here.${fakes}`,
        choose,
      );
    }
    const how = front
      ? `WeCom calls ${front}; the proxy in front forwards to ${host}:${port}`
      : `WeCom calls http://<public IP>:${port}/wechat/hook directly (wxcoze listens on ${host}). ${firewallNote(port)}`;
    const running = runningServer(ctx.config.dataDir);
    if (!running)
      return skip(
        this.title,
        `${how} — wxcoze is not running, so WeCom's check was not played: \`wxcoze start --daemon\`, then \`wxcoze doctor\` again`,
      );
    const listening = running.info ? new URL(running.info.url).hostname : undefined;
    if (!front && listening && isLoopbackHost(listening)) {
      return fail(
        this.title,
        `the running wxcoze (pid ${running.pid}) listens on ${listening} only: it was started before WXCOZE_HOST=${host} was set.`,
        'Restart it so it reads the configuration: `wxcoze stop && wxcoze start --daemon`.',
      );
    }
    const missing = needs(ctx, this.title, ['WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_CORP_ID']);
    if (missing) return missing;
    const crypto = new WecomCrypto(
      ctx.config.wecom.token,
      ctx.config.wecom.encodingAesKey,
      ctx.config.wecom.corpId,
    );
    const r = await verifyCallback(localCallbackUrl(ctx.config), crypto, {
      ...ctx.opts,
      public: false,
      localPort: port,
    });
    if (!r.ok)
      return fail(
        this.title,
        `WeCom's URL check against ${r.url} failed at step "${r.failed!.step}": ${r.failed!.detail}`,
        r.failed!.fix ?? 'Run `wxcoze verify --local-only` for the details.',
      );
    return pass(this.title, `${how}. WeCom's URL check passed on ${r.url} in ${r.elapsedMs} ms`);
  },
};
