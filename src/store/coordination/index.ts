import { MemoryCoordinator } from './memory.js';
import type { Coordinator } from './types.js';

export type { Coordinator } from './types.js';

/** Redis when WXCOZE_REDIS_URL is set (several instances), else in-process. */
export async function openCoordinator(redisUrl?: string, prefix?: string): Promise<Coordinator> {
  // ioredis is loaded only when Redis is configured.
  return redisUrl
    ? new (await import('./redis.js')).RedisCoordinator(redisUrl, prefix)
    : new MemoryCoordinator();
}

/** redis://user:pass@host:port/db → without the password, for logs. */
export function describeRedisUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
