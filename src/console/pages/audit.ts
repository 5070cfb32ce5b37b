import { t } from '../i18n.js';
import { sendPage } from '../layout.js';
import type { ConsolePage } from '../types.js';

/** The audit log: who did what, when, to which customer (logins and failed logins too). */
export const auditPage: ConsolePage = async (app, opts) => {
  const access = opts.store.consoleAccess;

  app.get('/audit', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: t(req.consoleLang, 'audit_title'),
      active: 'audit',
      script: 'audit.js',
    }),
  );

  app.get<{ Querystring: { before?: number; limit?: number } }>(
    '/api/audit',
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
      const entries = await access.listAudit({
        limit,
        ...(req.query.before !== undefined ? { before: req.query.before } : {}),
      });
      return { entries, more: entries.length === limit };
    },
  );
};
