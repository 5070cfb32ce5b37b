/**
 * Bearer keys of the OpenAI-compatible API (`WXCOZE_API_KEYS`). With no key configured the API
 * is off (403 that says how to turn it on), never open. Keys are compared by SHA-256 digest in
 * constant time, and only a short digest of a key is ever used as an identity or logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../config/types.js';
import { OpenAiError } from './errors.js';

export interface KeyMatch {
  /** Short, stable, non-reversible id of the key (identity fallback and logs). */
  keyId: string;
  trustHeaders: boolean;
  /**
   * Whose users this key's requests name: `t:<tenant>` for keys configured as one tenant
   * (`key@tenant`), else `k:<keyId>`, so two apps never share a person by sending the same `user`.
   */
  scope: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class ApiKeyring {
  private readonly keys: { digest: Buffer; match: KeyMatch }[];

  constructor(keys: ApiKey[]) {
    this.keys = keys.map((k) => {
      const d = digest(k.key);
      const keyId = d.toString('hex').slice(0, 16);
      return {
        digest: d,
        match: { keyId, trustHeaders: k.trustHeaders, scope: k.tenant ? `t:${k.tenant}` : `k:${keyId}` },
      };
    });
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The key an `Authorization` header carries, or the OpenAI error to answer with. */
  check(authorization: string | undefined): KeyMatch {
    if (!this.enabled) {
      throw new OpenAiError({
        status: 403,
        code: 'api_disabled',
        message:
          'The OpenAI-compatible API of this wxcoze is off because no API key is configured. Set WXCOZE_API_KEYS (e.g. WXCOZE_API_KEYS=sk-<long random>; add :trust-headers to a key used by Open-WebUI with forwarded user headers) and restart wxcoze.',
      });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) {
      throw new OpenAiError({
        status: 401,
        code: 'invalid_api_key',
        type: 'invalid_request_error',
        message: 'Missing API key: send it as "Authorization: Bearer <key>" (one of WXCOZE_API_KEYS).',
      });
    }
    const d = digest(m[1]!);
    let found: KeyMatch | undefined;
    // Compare against every key so timing does not reveal which (or whether any) matched.
    for (const k of this.keys) if (timingSafeEqual(k.digest, d)) found = k.match;
    if (!found)
      throw new OpenAiError({
        status: 401,
        code: 'invalid_api_key',
        type: 'invalid_request_error',
        message: 'Incorrect API key: it is not one of the keys in WXCOZE_API_KEYS.',
      });
    return found;
  }
}
