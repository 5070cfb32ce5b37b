/**
 * The facts alerts read that are not in the store: Coze's answer to a probe, the public
 * certificate, the Coze token's end, the data directory's disk. Each is a small function the
 * evaluator is given, so tests hand it their own.
 */
import { statfs } from 'node:fs/promises';
import type { WxcozeConfig } from '../../config/types.js';
import { CozeError } from '../../coze/errors.js';
import { inspectTls, type CertInfo } from '../../net/tls-cert.js';
import type { CertReading, CozeProbe, DiskReading } from './conditions.js';

/** GET /v1/users/me (the cheapest authenticated Coze call), given at most `timeoutMs`. */
export function cozeProbe(
  coze: { getMe(opts?: { signal?: AbortSignal }): Promise<unknown> },
  timeoutMs = 10_000,
): () => Promise<CozeProbe> {
  return async () => {
    try {
      await coze.getMe({ signal: AbortSignal.timeout(timeoutMs) });
      return { ok: true };
    } catch (err) {
      if (err instanceof CozeError) {
        // Without a Coze code (a gateway's page) the HTTP status is what tells.
        const http = !err.code && err.httpStatus ? `HTTP ${err.httpStatus}` : '';
        const message = http && err.msg ? `${http}: ${err.msg}` : http || err.msg;
        return { ok: false, kind: err.kind, ...(err.code ? { code: err.code } : {}), message };
      }
      return { ok: false, kind: 'network', message: (err as Error).message };
    }
  };
}

/**
 * The Coze token's end: `config.coze.tokenExpiresAt` (epoch ms, from WXCOZE_COZE_TOKEN_EXPIRES_AT;
 * set only while a personal token is used). Also reads seconds, an ISO date or a function giving
 * one, so a caller passing another shape still gets an answer; null means "not known", which keeps
 * the coze_token_expiry condition quiet.
 */
export async function cozeTokenExpiresAt(config: WxcozeConfig): Promise<number | null> {
  let v: unknown = config.coze.tokenExpiresAt;
  if (typeof v === 'function') v = await (v as () => unknown)();
  if (v instanceof Date) v = v.getTime();
  if (typeof v === 'string') v = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return null;
  // Seconds (Coze's expires_in / expire_time are seconds) or milliseconds.
  return v < 1e12 ? v * 1000 : v;
}

/** How full the data directory's disk is, as `df` counts it (what root's reserve hides is not free). */
export async function diskUsage(dir: string): Promise<DiskReading> {
  const s = await statfs(dir);
  const used = s.blocks - s.bfree;
  const usable = used + s.bavail;
  return {
    dir,
    usedPercent: usable > 0 ? Math.ceil((used * 100) / usable) : 0,
    freeBytes: s.bavail * s.bsize,
  };
}

type Inspect = (
  host: string,
  address: string,
  port: number,
  opts: { timeoutMs?: number },
) => Promise<{ cert?: CertInfo; error?: string }>;

/**
 * The certificate Caddy serves for WXCOZE_DOMAIN, read at most once per `everyMs` (an hour: a
 * certificate's days do not need a handshake every round). Trusted against the system's CAs only:
 * a certificate of Caddy's internal CA reads as not authorized and never alerts (it renews its
 * 12-hour certificates itself). A failed handshake is "cannot tell" (undefined), not an alert.
 */
export class PublicCertReader {
  private last?: { at: number; reading: CertReading | null };
  private running?: Promise<CertReading | undefined>;

  constructor(
    private readonly domain: string | undefined,
    private readonly everyMs = 3_600_000,
    private readonly inspect: Inspect = inspectTls,
  ) {}

  async read(now: number): Promise<CertReading | null | undefined> {
    if (!this.domain) return null;
    if (!this.last || now - this.last.at >= this.everyMs) {
      const domain = this.domain;
      this.running ??= this.inspect(domain, domain, 443, { timeoutMs: 10_000 })
        .then((r): CertReading | undefined =>
          r.cert
            ? {
                domain,
                issuer: r.cert.issuer,
                validTo: r.cert.validTo,
                msLeft: r.cert.msLeft,
                authorized: r.cert.authorized,
              }
            : undefined,
        )
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
        });
      const reading = await this.running;
      // A failed handshake is tried again next round.
      if (reading === undefined) return undefined;
      this.last = { at: now, reading };
    }
    const r = this.last.reading;
    // Kept for the hour: the time left counts down with the clock meanwhile.
    return r && { ...r, msLeft: r.validTo.getTime() - now };
  }
}
