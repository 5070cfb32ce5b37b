/**
 * The fake's OAuth service app (docs/protocol.md §coze-oauth-jwt): who may call (a personal access
 * token, or an access token the token endpoint issued and that has not expired), and the JWT check
 * the token endpoint makes — RS256 signature against the registered public key, kid, iss, aud, exp,
 * iat and a jti used once. Its own verification (node:crypto `verify`), independent of wxcoze's signer.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface OAuthRefusal {
  status: number;
  error_code: string;
  error_message: string;
}

export interface JwtCheck {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** What the token endpoint saw: the decoded JWT (when it decoded), the body, and how it answered. */
export interface TokenRequest {
  header?: Record<string, unknown>;
  payload?: Record<string, unknown>;
  body: Record<string, unknown>;
  /** 'issued', or the error_code. */
  outcome: string;
  at: number;
}

/** Coze's documented refusal (error_code invalid_client, HTTP 401 as coze-go #43 shows it). */
const invalidClient = (message: string): OAuthRefusal => ({
  status: 401,
  error_code: 'invalid_client',
  error_message: message,
});

const decode = (part: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

export class FakeOAuthApp {
  readonly publicKey: KeyObject;
  /** Lifetime of issued tokens, s; undefined: what the request asked (duration_seconds, default 900). */
  lifetimeS: number | undefined;
  readonly tokens = new Map<string, number>();
  readonly requests: TokenRequest[] = [];
  private readonly usedJti = new Set<string>();

  constructor(
    readonly appId: string,
    readonly keyId: string,
    publicKeyPem: string,
    lifetimeS?: number,
  ) {
    this.publicKey = createPublicKey(publicKeyPem);
    this.lifetimeS = lifetimeS;
  }

  /** The JWT checks of the token endpoint: the decoded JWT, or why it is refused. */
  checkJwt(jwt: string, host: string): JwtCheck | OAuthRefusal {
    const parts = jwt.split('.');
    if (parts.length !== 3) return invalidClient('invalid jwt: malformed');
    const header = decode(parts[0]!);
    const payload = decode(parts[1]!);
    if (!header || !payload) return invalidClient('invalid jwt: malformed');
    if (header.alg !== 'RS256') return invalidClient('invalid jwt: alg must be RS256');
    if (header.typ !== 'JWT') return invalidClient('invalid jwt: typ must be JWT');
    // The one message seen from the real service (coze-py #123, #230; coze-go #43), typo included.
    if (header.kid !== this.keyId) return invalidClient('invalid jwt: kid not been registred');
    const signed = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      this.publicKey,
      Buffer.from(parts[2]!, 'base64url'),
    );
    if (!signed) return invalidClient('invalid jwt: signature verification failed');
    const now = Math.floor(Date.now() / 1000);
    if (payload.iss !== this.appId) return invalidClient('invalid jwt: iss is not the app of this key');
    if (payload.aud !== host) return invalidClient(`invalid jwt: aud must be ${host}`);
    if (typeof payload.iat !== 'number' || payload.iat > now + 60)
      return invalidClient('invalid jwt: iat is missing or in the future');
    if (typeof payload.exp !== 'number' || payload.exp <= now || payload.exp <= payload.iat)
      return invalidClient('invalid jwt: expired');
    if (typeof payload.jti !== 'string' || payload.jti.length < 16)
      return invalidClient('invalid jwt: jti is missing or too short');
    // "JWT 仅能使用一次": each JWT gets one token.
    if (this.usedJti.has(payload.jti)) return invalidClient('invalid jwt: jti has been used');
    this.usedJti.add(payload.jti);
    return { header, payload };
  }

  /** A new access token (czs_…), alive for the fixed lifetime or the one asked for; returns its expiry (Unix s). */
  issue(durationS: number): { token: string; expiresIn: number } {
    const token = `czs_${randomBytes(24).toString('hex')}`;
    const expiresIn = Math.floor(Date.now() / 1000) + (this.lifetimeS ?? durationS);
    this.tokens.set(token, expiresIn * 1000);
    return { token, expiresIn };
  }

  /** Whether `token` is one this app issued that has not expired. */
  accepts(token: string): boolean {
    const until = this.tokens.get(token);
    return until !== undefined && Date.now() < until;
  }

  /** Every token issued so far stops working now (as if Coze revoked them). */
  expireAll(): void {
    for (const t of this.tokens.keys()) this.tokens.set(t, 0);
  }
}
