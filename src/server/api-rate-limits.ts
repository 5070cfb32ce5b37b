/**
 * Rate limits of the OpenAI-compatible API (@fastify/rate-limit): requests per minute per client
 * address (before authentication, so guessing keys is throttled too) and per API key. Counters
 * live in Redis when WXCOZE_REDIS_URL is set (all instances share them), else in this process.
 * While Redis is down the limits are skipped rather than failing the API.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { OpenAiError } from '../openai/errors.js';

export interface ApiRateLimitSettings {
  /** Requests per minute per API key; 0 = no limit. */
  perKey: number;
  /** Requests per minute per client address; 0 = no limit. */
  perIp: number;
}

export interface ApiRateLimits {
  /** Throws a 429 OpenAiError (with Retry-After) when the client's address is over its limit. */
  perIp(req: FastifyRequest): Promise<void>;
  /** Same for the key (by its short id). */
  perKey(req: FastifyRequest, keyId: string): Promise<void>;
}

const WINDOW_MS = 60_000;
const NO_LIMIT = async () => {};

type Check = (
  req: FastifyRequest,
) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number; max?: number }>;

function tooMany(what: string, max: number, retryAfter: number, setting: string): OpenAiError {
  return new OpenAiError({
    status: 429,
    code: 'rate_limit_exceeded',
    message: `Rate limit reached: ${max} requests per minute per ${what}. Retry after ${retryAfter} s (the operator can change ${setting}).`,
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** Registers the plugin in `api` (its own scope, nothing global) and returns the two checks. */
export async function apiRateLimits(
  api: FastifyInstance,
  settings: ApiRateLimitSettings,
  redis?: { client: Redis; prefix: string },
): Promise<ApiRateLimits> {
  if (!settings.perIp && !settings.perKey) return { perIp: NO_LIMIT, perKey: NO_LIMIT };
  await api.register(rateLimit, {
    global: false,
    timeWindow: WINDOW_MS,
    skipOnError: true,
    ...(redis ? { redis: redis.client, nameSpace: `${redis.prefix}ratelimit:` } : {}),
  });
  const create = (api as unknown as { createRateLimit(o: object): Check }).createRateLimit.bind(api);
  const ipCheck = settings.perIp
    ? create({
        max: settings.perIp,
        timeWindow: WINDOW_MS,
        keyGenerator: (req: FastifyRequest) => `ip:${req.ip}`,
      })
    : undefined;
  const keyIds = new WeakMap<FastifyRequest, string>();
  const keyCheck = settings.perKey
    ? create({
        max: settings.perKey,
        timeWindow: WINDOW_MS,
        keyGenerator: (req: FastifyRequest) => `key:${keyIds.get(req)}`,
      })
    : undefined;
  return {
    async perIp(req) {
      if (!ipCheck) return;
      const r = await ipCheck(req);
      if (!r.isAllowed && r.isExceeded) {
        req.log.warn({ ip: req.ip, max: settings.perIp }, 'openai: rate limit per address reached');
        throw tooMany('client address', settings.perIp, r.ttlInSeconds ?? 60, 'WXCOZE_OPENAI_RATE_PER_IP');
      }
    },
    async perKey(req, keyId) {
      if (!keyCheck) return;
      keyIds.set(req, keyId);
      const r = await keyCheck(req);
      if (!r.isAllowed && r.isExceeded) {
        req.log.warn({ keyId, max: settings.perKey }, 'openai: rate limit per API key reached');
        throw tooMany('API key', settings.perKey, r.ttlInSeconds ?? 60, 'WXCOZE_OPENAI_RATE_PER_KEY');
      }
    },
  };
}
