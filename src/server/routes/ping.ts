import type { FastifyPluginAsync } from 'fastify';

/** GET /ping — the older bridge's liveness path, kept so existing monitors keep working. */
export const pingRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/ping',
    { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
    async () => ({ status: 'ok' }),
  );
};
