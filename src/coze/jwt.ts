/**
 * The JWT a Coze OAuth service app signs to get an access token (docs/protocol.md §coze-oauth-jwt):
 * header {alg RS256, typ JWT, kid <public key id>}, payload {iss <app id>, aud <API host>, iat, exp,
 * jti}. RS256 is RSASSA-PKCS1-v1_5 with SHA-256, which node:crypto's `sign` does with an RSA key as
 * it is: one signature needs no JWT library.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';

/** How long the signed JWT itself is valid. Coze's SDKs (coze-py, coze-js) use one hour; it is used once, at once. */
export const JWT_TTL_S = 3600;

export interface CozeJwtInput {
  /** The OAuth app's id (client id): the JWT's `iss`. */
  appId: string;
  /** The public key's id (公钥指纹) shown next to the key in the app: the header's `kid`. */
  keyId: string;
  privateKey: KeyObject;
  /** The API base (https://api.coze.cn): its host is the JWT's `aud`. */
  apiBase: string;
  /** Seconds since the epoch; default now. */
  nowS?: number;
}

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/**
 * `aud` is the API host as it appears in the base URL, port included when there is one: the SDKs
 * take urlparse(base).netloc (coze-py) and the docs say "api.coze.cn".
 */
export function audienceOf(apiBase: string): string {
  return new URL(apiBase).host;
}

export function signCozeJwt(o: CozeJwtInput): string {
  const iat = o.nowS ?? Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: o.keyId };
  // jti: a new random string per JWT (Coze accepts each JWT once; the docs ask for more than 32 bytes).
  const payload = {
    iss: o.appId,
    aud: audienceOf(o.apiBase),
    iat,
    exp: iat + JWT_TTL_S,
    jti: randomBytes(32).toString('hex'),
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign('sha256', Buffer.from(input), o.privateKey).toString('base64url')}`;
}
