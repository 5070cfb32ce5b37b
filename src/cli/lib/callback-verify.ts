/**
 * Plays WeCom's URL verification (docs/protocol.md §callback-verify) against a callback URL, step by step, so a
 * failure is named: dns → connect → tls → proxy → status → signature → decryption → body.
 * Used by `wxcoze verify` and doctor's public-callback and TLS checks.
 */
import { randomInt } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { caOption, errCode, inspectTls, type CertInfo, type TlsOptions } from '../../net/tls-cert.js';
import { WecomCrypto } from '../../wecom/crypto.js';

// The certificate reading moved to src/net/ (the alerts read it too); its callers import it from here.
export { inspectTls, type CertInfo };

export type StepName = 'dns' | 'connect' | 'tls' | 'proxy' | 'status' | 'signature' | 'decryption' | 'body';
export const STEP_ORDER: StepName[] = [
  'dns',
  'connect',
  'tls',
  'proxy',
  'status',
  'signature',
  'decryption',
  'body',
];

export interface StepResult {
  step: StepName;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

export interface NetOptions extends TlsOptions {
  /** curl-style overrides, `host:port:address`. */
  resolve?: string[];
}

export interface VerifyOptions extends NetOptions {
  /** True for the URL WeCom will call (through Caddy); false for wxcoze's own port. */
  public: boolean;
  /** Port wxcoze listens on, for the fix texts. */
  localPort: number;
}

export interface VerifyReport {
  url: string;
  ok: boolean;
  steps: StepResult[];
  failed?: StepResult;
  elapsedMs?: number;
  certificate?: CertInfo;
}

/** `https://kf.example.com` → `https://kf.example.com/wechat/hook`; a URL with a path is kept as typed. */
export function normaliseCallbackUrl(input: string): URL {
  const raw = /^[a-z]+:\/\//i.test(input.trim()) ? input.trim() : `https://${input.trim()}`;
  const u = new URL(raw);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${input} is not an http(s) URL`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/wechat/hook';
  return u;
}

export function defaultPort(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

export function parseResolve(list: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of list ?? []) {
    // host:port:address (address may be IPv6 in brackets)
    const i = r.indexOf(':');
    const j = r.indexOf(':', i + 1);
    if (i < 0 || j < 0) throw new Error(`--resolve ${r}: expected host:port:address, like curl`);
    m.set(`${r.slice(0, i).toLowerCase()}:${r.slice(i + 1, j)}`, r.slice(j + 1).replace(/^\[|\]$/g, ''));
  }
  return m;
}

const fixedLookup = (address: string): LookupFunction => {
  const family = isIP(address) || 4;
  return ((_host: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (options?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
};

/** "63 days", or "11 hours" for short-lived certificates (Caddy's internal CA issues 12-hour ones). */
export function timeLeft(c: CertInfo): string {
  if (c.daysLeft >= 2) return `${c.daysLeft} days left`;
  return `${Math.max(0, Math.floor(c.msLeft / 3_600_000))} hours left`;
}

/** Caddy renews when a third of the lifetime is left: less than a quarter (or 7 days) means renewal is failing. */
export function renewalOverdue(c: CertInfo): boolean {
  const lifetime = c.validTo.getTime() - c.validFrom.getTime();
  return c.msLeft < Math.min(7 * 86_400_000, lifetime / 4);
}

/** Resolves the host (or applies --resolve); fails the dns step when it has no address. */
export async function stepDns(
  u: URL,
  overrides: Map<string, string>,
): Promise<{ step: StepResult; address?: string }> {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = defaultPort(u);
  const forced = overrides.get(`${host.toLowerCase()}:${port}`);
  if (forced)
    return {
      address: forced,
      step: { step: 'dns', status: 'ok', detail: `${host} → ${forced} (--resolve)` },
    };
  if (isIP(host))
    return { address: host, step: { step: 'dns', status: 'skip', detail: `${host} is an IP address` } };
  try {
    const all = await dnsLookup(host, { all: true });
    return {
      address: all[0]!.address,
      step: { step: 'dns', status: 'ok', detail: `${host} → ${all.map((a) => a.address).join(', ')}` },
    };
  } catch (err) {
    return {
      step: {
        step: 'dns',
        status: 'fail',
        detail: `${host} does not resolve (${errCode(err) || (err as Error).message}).`,
        fix: `Create an A record for ${host} pointing to this server's public IP at your DNS provider, wait a few minutes, and check with \`getent hosts ${host}\`.`,
      },
    };
  }
}

function stepConnect(address: string, port: number, u: URL, o: VerifyOptions): Promise<StepResult> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: address, port });
    const timer = setTimeout(
      () => sock.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      o.timeoutMs ?? 5000,
    );
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ step: 'connect', status: 'ok', detail: `${address}:${port} accepts connections` });
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      const code = errCode(err);
      const what =
        code === 'ECONNREFUSED'
          ? 'refused the connection'
          : code === 'ETIMEDOUT'
            ? 'did not answer (timed out)'
            : `failed (${code || err.message})`;
      let fix: string;
      if (!o.public)
        fix = `wxcoze is not running on port ${port}: start it with \`wxcoze start --daemon\` (\`wxcoze status\` shows it, \`wxcoze logs\` says why it stopped).`;
      else if (code === 'ECONNREFUSED')
        fix = `Nothing listens on port ${port}${u.protocol === 'https:' ? ': Caddy is not running — `sudo systemctl enable --now caddy` (then `systemctl status caddy`)' : ''}. If it runs, check the firewall (\`ufw allow ${port}/tcp\`).`;
      else
        fix = `Port ${port} is blocked on the way: open it in the firewall (\`ufw allow ${port}/tcp\`) and in the cloud provider's security group.`;
      resolve({ step: 'connect', status: 'fail', detail: `${address}:${port} ${what}.`, fix });
    });
  });
}

function tlsFix(host: string, code: string, message: string): string {
  if (/wrong version number|packet length too long/i.test(message))
    return `This port speaks plain HTTP, not HTTPS: use http:// in the URL, or point the domain at Caddy's HTTPS port 443.`;
  if (/internal error|alert/i.test(message))
    return `Caddy has no certificate for ${host} yet: look at \`journalctl -u caddy\` — usually ports 80/443 are not reachable from the internet, or the DNS record points elsewhere. Caddy retries by itself.`;
  return `TLS failed (${code || message}): check that ${host} points at this server and that Caddy serves it (\`journalctl -u caddy\`).`;
}

export async function stepTls(
  u: URL,
  address: string,
  opts: VerifyOptions,
): Promise<{ step: StepResult; cert?: CertInfo }> {
  const host = u.hostname;
  const r = await inspectTls(host, address, defaultPort(u), opts);
  if (!r.cert)
    return {
      step: {
        step: 'tls',
        status: 'fail',
        detail: `TLS handshake with ${host} failed: ${r.error}.`,
        fix: tlsFix(host, r.code ?? '', r.error ?? ''),
      },
    };
  const c = r.cert;
  if (!c.authorized) {
    const e = c.authorizationError ?? 'untrusted';
    let fix = `WeCom only calls URLs with a certificate it trusts. Let Caddy obtain one (remove \`tls internal\`, make ports 80/443 reachable), then check again. (A test setup with \`tls internal\` can pass Caddy's root with --ca-file.)`;
    if (e === 'CERT_HAS_EXPIRED')
      fix = `The certificate expired on ${c.validTo.toISOString().slice(0, 10)}: Caddy renews it by itself when it runs and ports 80/443 are reachable — look at \`journalctl -u caddy\`.`;
    if (e === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altname/i.test(e))
      fix = `The certificate is for ${c.subject}, not ${host}: the DNS record points at another server, or Caddy's site address differs (run \`wxcoze init\` again).`;
    return {
      cert: c,
      step: {
        step: 'tls',
        status: 'fail',
        detail: `certificate for ${c.subject} from "${c.issuer}" is not trusted (${e}).`,
        fix,
      },
    };
  }
  // With rejectUnauthorized off Node still checks chain and name; both land in authorized/authorizationError.
  return {
    cert: c,
    step: {
      step: 'tls',
      status: 'ok',
      detail: `certificate for ${c.subject} from "${c.issuer}", valid until ${c.validTo.toISOString().slice(0, 16).replace('T', ' ')} UTC (${timeLeft(c)})`,
    },
  };
}

/** Plays the verification GET and names the failing step. */
export async function verifyCallback(
  rawUrl: string,
  crypto: WecomCrypto,
  opts: VerifyOptions,
): Promise<VerifyReport> {
  const u = normaliseCallbackUrl(rawUrl);
  const steps: StepResult[] = [];
  const applicable = (name: StepName) =>
    (name !== 'tls' || u.protocol === 'https:') && (name !== 'proxy' || opts.public);
  const finish = (extra: Partial<VerifyReport> = {}): VerifyReport => {
    const failed = steps.find((s) => s.status === 'fail');
    // Steps after a failure were not reached.
    for (const name of STEP_ORDER)
      if (!steps.some((s) => s.step === name))
        steps.push({
          step: name,
          status: 'skip',
          detail: applicable(name) ? 'not reached' : 'not applicable',
        });
    steps.sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step));
    return { url: u.toString(), ok: !failed, steps, ...(failed ? { failed } : {}), ...extra };
  };

  const overrides = parseResolve(opts.resolve);
  const dns = await stepDns(u, overrides);
  steps.push(dns.step);
  if (!dns.address) return finish();
  const port = defaultPort(u);
  const conn = await stepConnect(dns.address, port, u, opts);
  steps.push(conn);
  if (conn.status === 'fail') return finish();
  let cert: CertInfo | undefined;
  if (u.protocol === 'https:') {
    const t = await stepTls(u, dns.address, opts);
    steps.push(t.step);
    cert = t.cert;
    if (t.step.status === 'fail') return finish(cert ? { certificate: cert } : {});
  }

  // The request WeCom sends when Save is clicked: signed, encrypted echostr, 1 s to answer.
  const expected = String(randomInt(1, 2 ** 47)) + String(randomInt(1, 2 ** 31));
  const echostr = crypto.encrypt(expected);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1_000_000_000, 9_999_999_999));
  const target = new URL(u.toString());
  for (const [k, v] of Object.entries({
    msg_signature: crypto.sign(timestamp, nonce, echostr),
    timestamp,
    nonce,
    echostr,
  }))
    target.searchParams.set(k, v);

  const ca = await caOption(opts);
  const agent = new Agent({
    connect: {
      lookup: fixedLookup(dns.address),
      servername: u.hostname,
      timeout: opts.timeoutMs ?? 5000,
      ...(ca ? { ca } : {}),
    },
  });
  const started = Date.now();
  let status: number;
  let body: string;
  let server: string;
  try {
    const res = await request(target, {
      method: 'GET',
      dispatcher: agent,
      headersTimeout: opts.timeoutMs ?? 5000,
      bodyTimeout: opts.timeoutMs ?? 5000,
    });
    status = res.statusCode;
    server = String(res.headers.server ?? '');
    body = await res.body.text();
  } catch (err) {
    await agent.close().catch(() => {});
    steps.push({
      step: opts.public ? 'proxy' : 'status',
      status: 'fail',
      detail: `the request got no answer (${errCode(err) || (err as Error).message}).`,
      fix: opts.public
        ? `Caddy (or whatever answers ${u.host}) accepted the connection but did not answer: look at \`journalctl -u caddy\` and \`wxcoze logs\`.`
        : 'wxcoze accepted the connection but did not answer: look at `wxcoze logs`.',
    });
    return finish(cert ? { certificate: cert } : {});
  }
  await agent.close().catch(() => {});
  const elapsedMs = Date.now() - started;
  const isCaddy = /caddy/i.test(server);

  if (opts.public) {
    if ([502, 503, 504].includes(status) && (isCaddy || body.trim() === '')) {
      steps.push({
        step: 'proxy',
        status: 'fail',
        detail: `${isCaddy ? 'Caddy' : 'the proxy'} answered HTTP ${status}: it could not reach wxcoze behind it.`,
        fix: `Start wxcoze (\`wxcoze start --daemon\`; \`wxcoze status\` shows whether it runs) and make sure the Caddyfile proxies to 127.0.0.1:${opts.localPort} (run \`wxcoze init\` again after changing PORT).`,
      });
      return finish({ elapsedMs, ...(cert ? { certificate: cert } : {}) });
    }
    steps.push({
      step: 'proxy',
      status: 'ok',
      detail: isCaddy ? 'Caddy passed the request to wxcoze' : `answered by ${server || 'an unnamed server'}`,
    });
  }

  if (status === 401 && body.includes('signature')) {
    steps.push({ step: 'status', status: 'ok', detail: `HTTP ${status} from wxcoze` });
    steps.push({
      step: 'signature',
      status: 'fail',
      detail: 'the server refused the signature: it runs with another Token than this configuration.',
      fix: 'Restart wxcoze so it reads the current configuration (`wxcoze stop && wxcoze start --daemon`). The Token typed into the WeCom console must equal WECOM_TOKEN.',
    });
    return finish({ elapsedMs, ...(cert ? { certificate: cert } : {}) });
  }
  if (status === 400 && /decrypt|padding|base64|receive id|plaintext|ciphertext/i.test(body)) {
    steps.push({ step: 'status', status: 'ok', detail: `HTTP ${status} from wxcoze` });
    steps.push({ step: 'signature', status: 'ok', detail: 'signature accepted' });
    steps.push({
      step: 'decryption',
      status: 'fail',
      detail: `the server could not decrypt the echostr (${body.trim()}): it runs with another EncodingAESKey${/receive id/.test(body) ? ' or CorpID' : ''}.`,
      fix: 'Restart wxcoze so it reads the current configuration (`wxcoze stop && wxcoze start --daemon`). The EncodingAESKey in the WeCom console must equal WECOM_ENCODING_AES_KEY, and WECOM_CORP_ID must be this corp.',
    });
    return finish({ elapsedMs, ...(cert ? { certificate: cert } : {}) });
  }
  if (status !== 200) {
    steps.push({
      step: 'status',
      status: 'fail',
      detail: `HTTP ${status}${body.trim() ? ` "${body.trim().slice(0, 80)}"` : ''}${server ? ` from ${server}` : ''}.`,
      fix:
        status === 404
          ? `Nothing serves ${u.pathname} here: the URL must end in /wechat/hook${opts.public ? `, and ${u.host} must point at the Caddy that proxies to wxcoze` : ''}.`
          : 'The answer did not come from wxcoze, or wxcoze is shutting down: check `wxcoze status` and `wxcoze logs`.',
    });
    return finish({ elapsedMs, ...(cert ? { certificate: cert } : {}) });
  }
  steps.push({
    step: 'status',
    status: 'ok',
    detail: `HTTP 200 in ${elapsedMs} ms${elapsedMs > 1000 ? ' — WeCom allows 1 s: too slow!' : ''}`,
  });
  steps.push({ step: 'signature', status: 'ok', detail: 'signature accepted' });
  steps.push({ step: 'decryption', status: 'ok', detail: 'echostr decrypted' });
  if (body !== expected) {
    steps.push({
      step: 'body',
      status: 'fail',
      detail: `the body is not the decrypted echostr (got ${JSON.stringify(body.slice(0, 60))}).`,
      fix: "WeCom needs exactly the plaintext: no quotes, no newline. Another program answers this URL, or a proxy rewrites the body — point the URL at wxcoze's /wechat/hook.",
    });
  } else {
    steps.push({ step: 'body', status: 'ok', detail: 'the decrypted echostr came back exactly' });
  }
  return finish({ elapsedMs, ...(cert ? { certificate: cert } : {}) });
}
