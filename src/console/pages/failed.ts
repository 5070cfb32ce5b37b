import { failedView } from '../../operator/failed.js';
import { t } from '../i18n.js';
import { sendPage } from '../layout.js';
import type { ConsolePage } from '../types.js';

/**
 * Failed messages (Coze down, undeliverable, budget spent) with their reason; Retry and Dismiss,
 * one or many at once (their routes are in operator-api.ts, through the operator's domain).
 */
export const failedPage: ConsolePage = async (app, opts) => {
  const store = opts.store.operatorActions;

  app.get('/failed', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: t(req.consoleLang, 'nav_failed'),
      active: 'failed',
      script: 'failed.js',
    }),
  );

  app.get<{ Querystring: { before?: number; limit?: number } }>(
    '/api/failed',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            before: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50;
      const [items, total] = await Promise.all([
        store.listFailed({
          limit,
          ...(req.query.before !== undefined ? { beforeSeq: req.query.before } : {}),
        }),
        store.countFailed(),
      ]);
      return { items: items.map(failedView), total, more: items.length === limit };
    },
  );
};
