import type Keyv from 'keyv';

export type LockResult<T> = { acquired: true; value: T } | { acquired: false };

/**
 * What instances agree on beyond the database: short locks with expiry (a dead holder cannot
 * keep one), "do it again" flags, and a shared cache. In-process for the embedded store; Redis
 * when several instances run.
 */
export interface Coordinator {
  readonly kind: 'memory' | 'redis';
  /**
   * Runs `fn` while holding `key`, renewing it every ttl/3; returns {acquired:false} at once if
   * another holder has it. The lock expires after `ttlMs` if its holder dies.
   */
  tryWithLock<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<LockResult<T>>;
  /** Raises a flag (idempotent) that expires after ttlMs. */
  setFlag(key: string, ttlMs: number): Promise<void>;
  /** Lowers the flag and says whether it was raised. */
  takeFlag(key: string): Promise<boolean>;
  hasFlag(key: string): Promise<boolean>;
  /** Shared key-value cache (WeCom access tokens). */
  readonly cache: Keyv;
  ping(): Promise<void>;
  close(): Promise<void>;
}
