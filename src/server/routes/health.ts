import type { FastifyPluginAsync } from 'fastify';
import type { Readiness } from '../../ops/readiness.js';
import { mayReadInternals } from '../internal-access.js';

export interface HealthRouteOptions {
  readiness: Pick<Readiness, 'check'>;
  /** WXCOZE_METRICS_TOKEN: with it (or from this machine) /readyz also shows the drivers' own errors. */
  token?: string;
}

/**
 * GET /healthz — alive: 200 whenever this process answers HTTP (a hung or dead process does not).
 * GET /readyz — ready for work: 200 when the store and the cache answer and the server is not
 * draining, else 503 with what failed and what to do (src/ops/readiness.ts). /ping (the older
 * bridge's) stays as it was, in ping.ts.
 */
export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, opts) => {
  app.get('/healthz', async (_req, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'alive' }),
  );
  app.get('/readyz', async (req, reply) => {
    const r = await opts.readiness.check();
    const internals = mayReadInternals(req, opts.token);
    const dep = (d: typeof r.store) => ({
      ok: d.ok,
      kind: d.kind,
      ...(d.problem ? { problem: d.problem } : {}),
      ...(internals && d.error ? { error: d.error } : {}),
    });
    return reply
      .code(r.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: r.ready ? 'ready' : 'not ready',
        store: dep(r.store),
        cache: dep(r.cache),
        serving: r.serving,
        problems: r.problems,
        checkedAt: new Date(r.checkedAt).toISOString(),
      });
  });
};
