/**
 * Access tokens of a Coze OAuth service app (docs/protocol.md §coze-oauth-jwt): a JWT signed with the
 * app's private key is exchanged at POST /api/permission/oauth2/token for a token that lives an hour
 * (we ask for 3600 s; Coze allows up to 86399). A token is refreshed before it expires — 10 minutes
 * before, or halfway through a shorter life — so no request ever carries one that dies in flight.
 *
 * Across instances one refreshes at a time (the coordinator's lock) and the others take its token
 * from the shared cache, where it is stored encrypted with a key derived from the app's private key:
 * Redis alone reveals nothing usable. While another instance refreshes, a token that is still good
 * goes on being used; when the token endpoint fails, so does the current token until it expires.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { undici } from '../net/undici.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { sleep } from '../util/backoff.js';
import { authIdentity, type CozeAuth } from './auth.js';
import { CozeError } from './errors.js';
import { headerOf, readEnvelope, sharedAgent, transportError } from './http.js';
import { isRecord, num, str } from './json.js';
import { audienceOf, signCozeJwt } from './jwt.js';

export const TOKEN_PATH = '/api/permission/oauth2/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The lifetime asked for (duration_seconds): Coze's default is 900, its maximum 86399. */
export const TOKEN_LIFETIME_S = 3600;
/** Refresh this long before expiry (or halfway, for a token that lives less than twice this). */
export const REFRESH_MARGIN_MS = 10 * 60_000;
/** A token younger than this that lacks a permission (4101) is not replaced: a new one would lack it too. */
const FRESH_MS = 10_000;
/** A token with less life left than this is not handed out while another instance refreshes. */
const LAST_MS = 30_000;
/** How long an instance waits for another's refresh before fetching a token itself. */
const WAIT_MS = 10_000;

/** The shared cache (Keyv fits). */
export interface SharedCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs?: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/** The coordinator's lock: runs `fn` only if no other holder has `key`. */
export interface SharedLock {
  tryWithLock<T>(
    key: string,
    ttlMs: number,
    fn: () => Promise<T>,
  ): Promise<{ acquired: true; value: T } | { acquired: false }>;
}

export interface OAuthAppKey {
  apiBase: string;
  /** The OAuth app's id (client id), COZE_JWT_OAUTH_CLIENT_ID. */
  appId: string;
  /** The public key's id (公钥指纹), COZE_JWT_OAUTH_PUBLIC_KEY_ID. */
  keyId: string;
  privateKey: KeyObject;
}

export interface FetchOptions extends OAuthAppKey {
  lifetimeS?: number;
  timeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface JwtOAuthOptions extends FetchOptions {
  cache?: SharedCache;
  lock?: SharedLock;
  logger?: Logger;
  /** Tests: how young a token refused for a permission (4101) may be and still be replaced (default 10 s). */
  freshMs?: number;
}

interface HeldToken {
  token: string;
  obtainedAt: number;
  refreshAt: number;
  expiresAt: number;
}

/**
 * When a token Coze says expires at `expiresIn` (Unix seconds: Coze's API gives the time, not a
 * duration) stops being used, on our clock. Coze's clock may differ from ours, so the expiry is
 * believed only between now and the lifetime we asked for; past either end, the asked lifetime is
 * the truth. A small value is read as a duration (RFC 6749's meaning) should a proxy send one.
 */
export function expiryOf(expiresIn: number, askedS: number, now: number): number {
  const asked = now + askedS * 1000;
  if (!(expiresIn > 0)) return asked;
  if (expiresIn < 1_000_000_000) return now + Math.min(expiresIn, askedS) * 1000;
  const at = expiresIn * 1000;
  return at > now ? Math.min(at, asked) : asked;
}

export function refreshAtOf(obtainedAt: number, expiresAt: number): number {
  return expiresAt - Math.min(REFRESH_MARGIN_MS, (expiresAt - obtainedAt) / 2);
}

/** One token from the token endpoint (no cache): what `init` and `doctor` check live, and what refreshes use. */
export async function fetchOAuthToken(o: FetchOptions): Promise<{ token: string; expiresAt: number }> {
  const base = o.apiBase.replace(/\/+$/, '');
  const lifetimeS = o.lifetimeS ?? TOKEN_LIFETIME_S;
  const timeout = o.timeoutMs ?? 15_000;
  const jwt = signCozeJwt(o);
  let status: number;
  let text: string;
  let logid: string | undefined;
  try {
    const { request } = await undici();
    const res = await request(`${base}${TOKEN_PATH}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${jwt}`,
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'wxcoze',
      },
      body: JSON.stringify({ grant_type: JWT_BEARER_GRANT, duration_seconds: lifetimeS }),
      dispatcher: await sharedAgent(o.connectTimeoutMs ?? 10_000),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    status = res.statusCode;
    logid = headerOf(res.headers, 'x-tt-logid');
    text = await res.body.text();
  } catch (err) {
    throw transportError(err, `POST ${TOKEN_PATH}`);
  }
  // Success is a bare {access_token, expires_in}; a refusal {error_code, error_message} (readEnvelope).
  const body = readEnvelope(status, text, logid);
  const token = str(body.access_token);
  if (!token)
    throw new CozeError({
      kind: 'other',
      msg: `${TOKEN_PATH} returned no access_token`,
      httpStatus: status,
      logid,
    });
  return { token, expiresAt: expiryOf(num(body.expires_in), lifetimeS, Date.now()) };
}

export class JwtOAuth implements CozeAuth {
  readonly identity: string;
  private readonly log: Logger;
  private readonly cacheKey: string;
  private readonly sealKey: Buffer;
  private readonly freshMs: number;
  private memo?: HeldToken;
  private inflight?: Promise<string>;
  /** Tokens Coze refused; the shared cache may still hold one until it is overwritten. */
  private readonly revoked = new Set<string>();
  private lastFallbackLog = 0;

  constructor(private readonly o: JwtOAuthOptions) {
    this.identity = authIdentity(o.appId);
    this.log = (o.logger ?? silentLogger()).child({ component: 'coze-oauth' });
    this.freshMs = o.freshMs ?? FRESH_MS;
    // One token per (API host, app, key): another key or region is another cache entry.
    this.cacheKey = `coze:oauth_token:${audienceOf(o.apiBase)}:${o.appId}:${o.keyId}`;
    const der = o.privateKey.export({ type: 'pkcs8', format: 'der' });
    this.sealKey = Buffer.from(hkdfSync('sha256', der, 'wxcoze', 'coze oauth token cache v1', 32));
  }

  /** The token for the next request: the held one until its refresh time, then a new one (one fetch at a time). */
  token(): Promise<string> {
    const m = this.memo;
    if (m && Date.now() < m.refreshAt && !this.revoked.has(m.token)) return Promise.resolve(m.token);
    this.inflight ??= this.renew().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  async invalidate(token: string, refusal: 'auth' | 'permission'): Promise<boolean> {
    const held = this.memo?.token === token ? this.memo : undefined;
    // A permission a token just issued lacks, the next one lacks too (the app's permissions): not
    // worth a token per chat. A token Coze no longer accepts (4100) is always replaced.
    if (refusal === 'permission' && held && Date.now() - held.obtainedAt < this.freshMs) return false;
    this.revoked.add(token);
    if (held) this.memo = undefined;
    const stored = await this.readCache();
    if (stored?.token === token) await this.o.cache?.delete(this.cacheKey).catch(() => {});
    this.log.info('Coze refused the OAuth access token; getting a new one');
    return true;
  }

  private fresh(e: HeldToken | undefined): e is HeldToken {
    return !!e && !this.revoked.has(e.token) && Date.now() < e.refreshAt;
  }

  private usable(e: HeldToken | undefined): e is HeldToken {
    return !!e && !this.revoked.has(e.token) && Date.now() < e.expiresAt - LAST_MS;
  }

  private hold(e: HeldToken): string {
    this.memo = e;
    return e.token;
  }

  private async renew(): Promise<string> {
    const current = this.usable(this.memo) ? this.memo : undefined;
    try {
      const cached = await this.readCache();
      if (this.fresh(cached)) return this.hold(cached);
      const lock = this.o.lock;
      if (!lock) return this.hold(await this.obtain());
      const fallback = current ?? (this.usable(cached) ? cached : undefined);
      for (let waited = 0; waited < WAIT_MS; waited += 100) {
        let res: Awaited<ReturnType<typeof lock.tryWithLock<HeldToken>>>;
        try {
          res = await lock.tryWithLock(`coze-oauth:${this.cacheKey}`, 30_000, async () => {
            const again = await this.readCache();
            return this.fresh(again) ? again : this.obtain();
          });
        } catch (err) {
          if (err instanceof CozeError) throw err;
          // The coordinator (Redis) is down: nobody can be waited for; this instance fetches its own.
          return this.hold(await this.obtain());
        }
        if (res.acquired) return this.hold(res.value);
        // Another instance is refreshing: a token still good for a while serves meanwhile.
        if (fallback) return fallback.token;
        await sleep(100);
        const now = await this.readCache();
        if (this.fresh(now)) return this.hold(now);
      }
      return this.hold(await this.obtain());
    } catch (err) {
      if (!current) throw err;
      // The token endpoint failed (Coze down, network, or the key now refused): the current token
      // still works until it expires. Said at most once a minute; a refusal of the key is an error.
      if (Date.now() - this.lastFallbackLog > 60_000) {
        this.lastFallbackLog = Date.now();
        const refused = err instanceof CozeError && err.oauthError !== undefined;
        this.log[refused ? 'error' : 'warn'](
          {
            err: { message: (err as Error).message },
            validUntil: new Date(current.expiresAt).toISOString(),
          },
          refused
            ? 'Coze refused a new OAuth access token; the current one works until it expires (run `wxcoze doctor`)'
            : 'could not refresh the Coze OAuth access token; the current one works until it expires',
        );
      }
      return current.token;
    }
  }

  /** A new token from Coze, shared through the cache. */
  private async obtain(): Promise<HeldToken> {
    const t = await fetchOAuthToken(this.o);
    const obtainedAt = Date.now();
    const entry: HeldToken = {
      token: t.token,
      obtainedAt,
      expiresAt: t.expiresAt,
      refreshAt: refreshAtOf(obtainedAt, t.expiresAt),
    };
    this.revoked.clear(); // a fresh token supersedes every refused one
    if (this.o.cache) {
      await this.o.cache
        .set(this.cacheKey, this.seal(entry), Math.max(1, entry.expiresAt - obtainedAt))
        .catch((err: unknown) =>
          this.log.warn(
            { err: { message: (err as Error).message } },
            'could not share the Coze OAuth access token through the cache; other instances get their own',
          ),
        );
    }
    this.log.info(
      { validUntil: new Date(entry.expiresAt).toISOString() },
      'Coze OAuth access token obtained',
    );
    return entry;
  }

  private async readCache(): Promise<HeldToken | undefined> {
    if (!this.o.cache) return undefined;
    try {
      return this.unseal(await this.o.cache.get(this.cacheKey));
    } catch {
      return undefined; // the cache down: as if empty (the lock then fails the same way, and we fetch)
    }
  }

  /** AES-256-GCM under the key derived from the private key; the times are authenticated with it. */
  private seal(e: HeldToken): Record<string, unknown> {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.sealKey, iv);
    c.setAAD(Buffer.from(`${e.obtainedAt}:${e.refreshAt}:${e.expiresAt}`));
    const data = Buffer.concat([c.update(e.token, 'utf8'), c.final()]);
    return {
      v: 1,
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      obtainedAt: e.obtainedAt,
      refreshAt: e.refreshAt,
      expiresAt: e.expiresAt,
    };
  }

  private unseal(raw: unknown): HeldToken | undefined {
    if (!isRecord(raw) || raw.v !== 1) return undefined;
    const [obtainedAt, refreshAt, expiresAt] = [num(raw.obtainedAt), num(raw.refreshAt), num(raw.expiresAt)];
    try {
      const d = createDecipheriv('aes-256-gcm', this.sealKey, Buffer.from(String(raw.iv), 'base64'));
      d.setAAD(Buffer.from(`${obtainedAt}:${refreshAt}:${expiresAt}`));
      d.setAuthTag(Buffer.from(String(raw.tag), 'base64'));
      const token = Buffer.concat([d.update(Buffer.from(String(raw.data), 'base64')), d.final()]).toString(
        'utf8',
      );
      return { token, obtainedAt, refreshAt, expiresAt };
    } catch {
      return undefined; // sealed under another key (a replaced private key): as if absent
    }
  }
}
