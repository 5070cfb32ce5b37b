import { MemoryCoordinator } from './memory.js';
import { RedisCoordinator } from './redis.js';
import type { Coordinator } from './types.js';

export type { Coordinator } from './types.js';

/** Redis when WXCOZE_REDIS_URL is set (several instances), else in-process. */
export function openCoordinator(redisUrl?: string, prefix?: string): Coordinator {
  return redisUrl ? new RedisCoordinator(redisUrl, prefix) : new MemoryCoordinator();
}

/** redis://user:pass@host:port/db → without the password, for logs. */
export function describeRedisUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
