import type { FastifyPluginAsync } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { metricsContentType, renderMetrics } from '../../ops/metrics.js';
import { isLocalRequest } from '../client-address.js';

export interface MetricsRouteOptions {
  /** Lets other clients in with `Authorization: Bearer <token>`; unset: this machine only. */
  token?: string;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** GET /metrics — Prometheus text format; from this machine, or with the token. */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, opts) => {
  app.get('/metrics', async (req, reply) => {
    if (!isLocalRequest(req) && !(opts.token && bearerMatches(req.headers.authorization, opts.token))) {
      const why = opts.token
        ? 'send Authorization: Bearer <WXCOZE_METRICS_TOKEN>'
        : 'set WXCOZE_METRICS_TOKEN to read it from elsewhere';
      return reply.code(403).type('text/plain').send(`/metrics is served to this machine only; ${why}\n`);
    }
    return reply.type(metricsContentType).send(await renderMetrics());
  });
};
