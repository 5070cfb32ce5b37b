import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleAccessStore, ConsoleSession } from '../../store/console-types.js';

/**
 * Console sessions, kept in the store (they survive restarts and are shared by instances). The
 * cookie holds 32 random bytes; the store holds only their SHA-256, so reading the table opens
 * no session. A session ends when unused for `idleMs` or `maxMs` after it began (both settings).
 * last_seen_at is written at most once a minute per session, not on every request.
 */
export const SESSION_COOKIE = 'wxcoze_session';
const TOUCH_EVERY_MS = 60_000;

export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
export const newToken = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison of two tokens (different lengths are simply unequal). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startSession(
  store: ConsoleAccessStore,
  operator: string,
  policy: SessionPolicy,
  now: number,
): Promise<{ token: string; session: ConsoleSession }> {
  const token = newToken();
  const session: ConsoleSession = {
    idHash: hashToken(token),
    operator,
    csrf: newToken(),
    createdAt: now,
    expiresAt: now + policy.maxMs,
    lastSeenAt: now,
  };
  await store.createSession(session);
  // Ended sessions are dropped as new ones begin: the table stays as small as the logins in use.
  await store.pruneSessions(now, policy.idleMs);
  return { token, session };
}

export type SessionLookup = { ok: true; session: ConsoleSession } | { ok: false; reason: 'none' | 'expired' };

/** The session a cookie value names, if it is still alive (then its last use is recorded). */
export async function findSession(
  store: ConsoleAccessStore,
  token: string | undefined,
  policy: SessionPolicy,
  now: number,
): Promise<SessionLookup> {
  if (!token || token.length > 100) return { ok: false, reason: 'none' };
  const idHash = hashToken(token);
  const session = await store.getSession(idHash);
  if (!session) return { ok: false, reason: 'expired' };
  if (session.expiresAt <= now || session.lastSeenAt + policy.idleMs <= now) {
    await store.deleteSession(idHash);
    return { ok: false, reason: 'expired' };
  }
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await store.touchSession(idHash, now);
  return { ok: true, session };
}

/** Seconds the cookie may live: until the absolute end (the idle end is checked by the server). */
export const cookieMaxAgeS = (s: ConsoleSession, now: number): number =>
  Math.ceil((s.expiresAt - now) / 1000);
