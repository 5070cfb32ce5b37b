import { explainWecomError } from '../../ops/health.js';
import { sendProblem } from '../errors.js';
import type { ConsolePage } from '../types.js';
import { knownAccounts } from './settings.js';

interface ContactQuery {
  openKfId: string;
  scene?: string;
}

const querySchema = {
  type: 'object',
  required: ['openKfId'],
  properties: {
    openKfId: { type: 'string', minLength: 1, maxLength: 64 },
    scene: { type: 'string', maxLength: 32, pattern: '^[0-9a-zA-Z_-]*$' },
  },
  additionalProperties: false,
};

/**
 * The kf account's contact link (kf/add_contact_way) and its QR code as SVG, drawn on the server,
 * for a website or a poster. Shown on the settings page, one per account.
 */
export const contactPage: ConsolePage = async (app, opts) => {
  const link = async (q: ContactQuery) => {
    if (!opts.ops) throw new Error('contact links are not available here');
    if (!(await knownAccounts(opts)).some((a) => a.openKfId === q.openKfId))
      throw Object.assign(new Error('unknown account'), { statusCode: 404 });
    return opts.ops.contact.get(q.openKfId, q.scene ?? '');
  };
  const fail = (
    req: Parameters<typeof sendProblem>[0],
    reply: Parameters<typeof sendProblem>[1],
    err: unknown,
  ) => {
    const zh = req.consoleLang === 'zh';
    if ((err as { statusCode?: number }).statusCode === 404)
      return sendProblem(req, reply, opts.base, {
        status: 404,
        code: 'not_found',
        message: zh ? '没有这个客服账号。' : 'No such kf account.',
      });
    const e = explainWecomError(err);
    return sendProblem(req, reply, opts.base, {
      status: 502,
      code: 'wecom',
      message: zh
        ? `企业微信未给出链接：${e.meaningZh ?? e.meaning ?? e.text}${e.egressIp ? `（出口 IP：${e.egressIp}）` : ''}`
        : `WeCom gave no link: ${e.meaning ?? e.text}${e.egressIp ? ` (egress IP ${e.egressIp})` : ''}`,
    });
  };

  app.get<{ Querystring: ContactQuery }>(
    '/api/contact',
    { schema: { querystring: querySchema } },
    async (req, reply) => {
      try {
        const l = await link(req.query);
        return { openKfId: l.openKfId, scene: l.scene, url: l.url };
      } catch (err) {
        return fail(req, reply, err);
      }
    },
  );

  // The QR code itself: an SVG made by the qrcode library from the link alone (no outside input in it).
  app.get<{ Querystring: ContactQuery & { download?: string } }>(
    '/contact/qr.svg',
    {
      schema: {
        querystring: {
          ...querySchema,
          properties: { ...querySchema.properties, download: { type: 'string', enum: ['1'] } },
        },
      },
    },
    async (req, reply) => {
      try {
        const l = await link(req.query);
        reply
          .type('image/svg+xml')
          .header('cache-control', 'private, max-age=3600')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
        if (req.query.download)
          reply.header('content-disposition', `attachment; filename="wecom-kf-${l.scene || 'qr'}.svg"`);
        return l.svg;
      } catch (err) {
        return fail(req, reply, err);
      }
    },
  );
};
