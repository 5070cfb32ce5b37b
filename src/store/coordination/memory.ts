import Keyv from 'keyv';
import type { Coordinator, LockResult } from './types.js';

/** One process: locks and flags in memory. The embedded store serves exactly one process. */
export class MemoryCoordinator implements Coordinator {
  readonly kind = 'memory';
  readonly cache = new Keyv();
  private locks = new Set<string>();
  private flags = new Map<string, number>();

  async tryWithLock<T>(key: string, _ttlMs: number, fn: () => Promise<T>): Promise<LockResult<T>> {
    if (this.locks.has(key)) return { acquired: false };
    this.locks.add(key);
    try {
      return { acquired: true, value: await fn() };
    } finally {
      this.locks.delete(key);
    }
  }

  async setFlag(key: string, ttlMs: number): Promise<void> {
    this.flags.set(key, Date.now() + ttlMs);
  }

  async takeFlag(key: string): Promise<boolean> {
    const until = this.flags.get(key);
    this.flags.delete(key);
    return until !== undefined && until > Date.now();
  }

  async hasFlag(key: string): Promise<boolean> {
    const until = this.flags.get(key);
    return until !== undefined && until > Date.now();
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
