import type { ConsoleAccessStore } from '../../store/console-types.js';

/**
 * Login throttling, per client address and per operator name, counted in the store so the limit
 * holds however many instances answer (and across restarts). A fixed 15-minute window per key:
 * after `perIp` failures from one address, or `perName` failures against one operator, logins
 * there are refused until the window ends. Failures for names that do not exist count only
 * against the address, so the table cannot be filled with invented names; finished windows are
 * deleted as failures arrive (src/store/sql/console-access.ts), so it stays bounded.
 */
export const THROTTLE_WINDOW_MS = 15 * 60_000;

export interface ThrottleLimits {
  perIp: number;
  perName: number;
}

const ipKey = (ip: string) => `ip:${ip.slice(0, 100)}`;
const nameKey = (name: string) => `op:${name}`;

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterMs: number; by: 'ip' | 'name' };

export async function checkThrottle(
  store: ConsoleAccessStore,
  limits: ThrottleLimits,
  ip: string,
  name: string | undefined,
  now: number,
): Promise<ThrottleVerdict> {
  const byIp = await store.loginFailures(ipKey(ip), now, THROTTLE_WINDOW_MS);
  if (byIp.failures >= limits.perIp)
    return { ok: false, by: 'ip', retryAfterMs: byIp.windowStart + THROTTLE_WINDOW_MS - now };
  if (name !== undefined) {
    const byName = await store.loginFailures(nameKey(name), now, THROTTLE_WINDOW_MS);
    if (byName.failures >= limits.perName)
      return { ok: false, by: 'name', retryAfterMs: byName.windowStart + THROTTLE_WINDOW_MS - now };
  }
  return { ok: true };
}

/** `knownName`: the operator exists (only then is the failure counted against the name too). */
export async function noteFailure(
  store: ConsoleAccessStore,
  ip: string,
  knownName: string | undefined,
  now: number,
): Promise<void> {
  await store.noteLoginFailure(ipKey(ip), now, THROTTLE_WINDOW_MS);
  if (knownName !== undefined) await store.noteLoginFailure(nameKey(knownName), now, THROTTLE_WINDOW_MS);
}

/** A right password clears its name's count (not the address's: one good login must not reset a guesser). */
export async function noteSuccess(store: ConsoleAccessStore, name: string): Promise<void> {
  await store.clearLoginFailures(nameKey(name));
}
