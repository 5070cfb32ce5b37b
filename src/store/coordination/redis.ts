import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import type { Coordinator, LockResult } from './types.js';

// Compare-and-act scripts: only the holder that set a lock may renew or release it.
const RENEW =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A Keyv store over the same Redis connection (values arrive already serialised by Keyv). */
function keyvStore(redis: Redis, prefix: string): KeyvStoreAdapter {
  return {
    opts: {},
    namespace: undefined,
    async get(key: string) {
      return (await redis.get(prefix + key)) ?? undefined;
    },
    async set(key: string, value: unknown, ttl?: number) {
      if (ttl) await redis.set(prefix + key, String(value), 'PX', ttl);
      else await redis.set(prefix + key, String(value));
      return true;
    },
    async delete(key: string) {
      return (await redis.del(prefix + key)) > 0;
    },
    async clear() {
      /* never wipes a shared Redis */
    },
    on() {
      return this;
    },
  } as unknown as KeyvStoreAdapter;
}

/** Several instances: locks, flags and the token cache in Redis, keys under `wxcoze:`. */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  readonly redis: Redis;
  readonly cache: Keyv;
  /** The connection's latest error while it is not ready. */
  private lastConnectionError: Error | undefined;
  constructor(
    url: string,
    private readonly prefix = 'wxcoze:',
  ) {
    // Fail within seconds instead of queueing commands forever while Redis is down: callers retry later.
    this.redis = new Redis(url, {
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
      connectTimeout: 3000,
      retryStrategy: (n) => Math.min(n * 200, 2000),
    });
    this.redis.on('error', (err: Error) => {
      // Reported through the failing commands; kept so they can say why (see ping).
      this.lastConnectionError = err;
    });
    this.redis.on('ready', () => {
      this.lastConnectionError = undefined;
    });
    this.cache = new Keyv({ store: keyvStore(this.redis, `${this.prefix}cache:`) });
  }

  async tryWithLock<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<LockResult<T>> {
    const k = `${this.prefix}lock:${key}`;
    const token = randomBytes(12).toString('hex');
    const ok = await this.redis.set(k, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return { acquired: false };
    const renew = setInterval(
      () => {
        void this.redis.eval(RENEW, 1, k, token, String(ttlMs)).catch(() => {});
      },
      Math.max(100, Math.floor(ttlMs / 3)),
    );
    renew.unref?.();
    try {
      return { acquired: true, value: await fn() };
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, k, token).catch(() => {});
    }
  }

  async setFlag(key: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}flag:${key}`, '1', 'PX', ttlMs);
  }

  async takeFlag(key: string): Promise<boolean> {
    return (await this.redis.del(`${this.prefix}flag:${key}`)) > 0;
  }

  async hasFlag(key: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}flag:${key}`)) > 0;
  }

  async ping(): Promise<void> {
    try {
      await this.redis.ping();
    } catch (err) {
      // While Redis is down ioredis says "Reached the max retries per request limit (which is 1)":
      // true, but the reason is the connection's own error (connect ECONNREFUSED …, NOAUTH …).
      const why = this.lastConnectionError;
      if (why && this.redis.status !== 'ready')
        throw new Error(`cannot connect: ${why.message}`, { cause: err });
      throw err;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
