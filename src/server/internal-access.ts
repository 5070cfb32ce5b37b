/**
 * Who may read the server's internals (/metrics, the error texts in /readyz): a request from this
 * machine (client-address.ts: not merely through the local proxy), or one carrying
 * `Authorization: Bearer <WXCOZE_METRICS_TOKEN>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { isLocalRequest, type RequestLike } from './client-address.js';

function bearerMatches(header: string | string[] | undefined, token: string): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(value ?? '')?.[1]?.trim() ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function mayReadInternals(req: RequestLike, token: string | undefined): boolean {
  return isLocalRequest(req) || (token !== undefined && bearerMatches(req.headers.authorization, token));
}
