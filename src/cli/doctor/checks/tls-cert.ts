import {
  defaultPort,
  inspectTls,
  normaliseCallbackUrl,
  parseResolve,
  renewalOverdue,
  stepDns,
  timeLeft,
} from '../../lib/callback-verify.js';
import { publicCallbackUrl } from '../../commands/verify.js';
import { type DoctorCheck, fail, pass, skip } from '../types.js';

/** The public HTTPS certificate: trusted, for this name, and how many days it has left. */
export const tlsCertCheck: DoctorCheck = {
  id: 'tls',
  title: 'TLS certificate',
  async run(ctx) {
    const url = publicCallbackUrl(ctx.config, ctx.opts.url);
    if (!url)
      return skip(this.title, 'no public domain configured (WXCOZE_DOMAIN via `wxcoze init`, or --url)');
    const u = normaliseCallbackUrl(url);
    if (u.protocol !== 'https:')
      return skip(this.title, `${u.origin} is plain HTTP (allowed by WeCom, but https is recommended)`);
    const dns = await stepDns(u, parseResolve(ctx.opts.resolve));
    if (!dns.address) return fail(this.title, dns.step.detail, dns.step.fix ?? '');
    const r = await inspectTls(u.hostname, dns.address, defaultPort(u), ctx.opts);
    if (!r.cert)
      return fail(
        this.title,
        `no TLS handshake with ${u.host}: ${r.error}`,
        `Check that Caddy runs (\`systemctl status caddy\`) and serves ${u.hostname}; \`wxcoze verify\` names the failing step.`,
      );
    const c = r.cert;
    if (!c.authorized)
      return fail(
        this.title,
        `certificate for ${c.subject} from "${c.issuer}" is not trusted (${c.authorizationError})`,
        'WeCom only calls URLs with a publicly trusted certificate: let Caddy obtain one (no `tls internal`; ports 80 and 443 open; DNS pointing here) — see `journalctl -u caddy`.',
      );
    if (renewalOverdue(c))
      return fail(
        this.title,
        `certificate for ${c.subject} expires soon: ${timeLeft(c)} (${c.validTo.toISOString().slice(0, 10)})`,
        'Caddy renews well ahead by itself; when it has not, it cannot reach the CA or port 80/443 is closed — see `journalctl -u caddy`.',
      );
    return pass(this.title, `${c.subject} from "${c.issuer}", ${timeLeft(c)}`);
  },
};
