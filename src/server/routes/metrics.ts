import type { FastifyPluginAsync } from 'fastify';
import { metricsContentType, renderMetrics } from '../../ops/metrics.js';
import { mayReadInternals } from '../internal-access.js';

export interface MetricsRouteOptions {
  /** Lets other clients in with `Authorization: Bearer <token>`; unset: this machine only. */
  token?: string;
}

/** GET /metrics — Prometheus text format; from this machine, or with the token. */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, opts) => {
  app.get('/metrics', async (req, reply) => {
    if (!mayReadInternals(req, opts.token)) {
      const why = opts.token
        ? 'send Authorization: Bearer <WXCOZE_METRICS_TOKEN>'
        : 'set WXCOZE_METRICS_TOKEN to read it from elsewhere';
      return reply.code(403).type('text/plain').send(`/metrics is served to this machine only; ${why}\n`);
    }
    return reply.type(metricsContentType).send(await renderMetrics());
  });
};
