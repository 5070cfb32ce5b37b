/**
 * Reads the certificate a TLS server presents, with Node's own verdict on it (trusted chain, right
 * name). Used by `wxcoze verify` and doctor (src/cli/lib/callback-verify.ts) and by the alerts'
 * certificate-expiry condition (src/ops/alerts/readers.ts).
 */
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';

export interface TlsOptions {
  /** PEM file of an extra CA to trust (e.g. Caddy's local CA for `tls internal`). */
  caFile?: string;
  timeoutMs?: number;
}

export interface CertInfo {
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  daysLeft: number;
  /** validTo - now, ms. */
  msLeft: number;
  authorized: boolean;
  authorizationError?: string;
}

function caOf(opts: TlsOptions): Buffer | undefined {
  if (!opts.caFile) return undefined;
  try {
    return readFileSync(opts.caFile);
  } catch (err) {
    throw new Error(
      `--ca-file ${opts.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The node:tls option: trust the system's CAs plus the extra one. */
export async function caOption(opts: TlsOptions): Promise<string[] | undefined> {
  const extra = caOf(opts);
  if (!extra) return undefined;
  const { rootCertificates } = await import('node:tls');
  return [...rootCertificates, extra.toString('utf8')];
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The errno code of a network error, or of its cause (undici wraps them). */
export function errCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return e?.code ?? e?.cause?.code ?? '';
}

/**
 * TLS handshake with certificate checks: `address` is connected to, `host` is the name asked for
 * (SNI) and checked. Never throws: a failed handshake is `{error, code}`.
 */
export async function inspectTls(
  host: string,
  address: string,
  port: number,
  opts: TlsOptions,
): Promise<{ cert?: CertInfo; error?: string; code?: string }> {
  const ca = await caOption(opts);
  return new Promise((resolve) => {
    const sock = tlsConnect({
      host: address,
      port,
      servername: host,
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
    });
    const timer = setTimeout(
      () => sock.destroy(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' })),
      opts.timeoutMs ?? 5000,
    );
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = sock.getPeerCertificate() as PeerCertificate;
      const validTo = new Date(peer.valid_to);
      const cert: CertInfo = {
        subject: first(peer.subject?.CN) ?? String(peer.subjectaltname ?? '').replace(/DNS:/g, ''),
        issuer: first(peer.issuer?.O) ?? first(peer.issuer?.CN) ?? '',
        validFrom: new Date(peer.valid_from),
        validTo,
        daysLeft: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
        msLeft: validTo.getTime() - Date.now(),
        authorized: sock.authorized,
        ...(sock.authorizationError ? { authorizationError: String(sock.authorizationError) } : {}),
      };
      sock.destroy();
      resolve({ cert });
    });
    sock.once('error', (err: Error) => {
      clearTimeout(timer);
      resolve({ error: err.message, code: errCode(err) });
    });
  });
}
