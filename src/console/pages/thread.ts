import { sendProblem } from '../errors.js';
import { esc } from '../html.js';
import { sendPage } from '../layout.js';
import type { ConsolePage } from '../types.js';
import { wireItem, wireSummary } from './conversations.js';

const ID = { type: 'string', minLength: 1, maxLength: 64 } as const;

const NOT_FOUND = {
  zh: '没有这位客户的会话（链接可能不完整）。',
  en: 'There is no conversation with this customer (the link may be incomplete).',
};

/**
 * One customer's thread: every inbox row (their messages, the bot's answers as sent, servicer
 * messages, events, operator replies), newest last; the operator panel (src/console/pages/operator-api.ts,
 * templates/console/operator-panel.js) mounts into #operator-panel.
 */
export const threadPage: ConsolePage = async (app, opts) => {
  const conversations = opts.store.conversations;

  app.get<{ Params: { kf: string; user: string } }>(
    '/c/:kf/:user',
    { schema: { params: { type: 'object', properties: { kf: ID, user: ID }, required: ['kf', 'user'] } } },
    async (req, reply) =>
      sendPage(req, reply, opts.base, {
        title: req.consoleLang === 'zh' ? '会话详情' : 'Conversation',
        active: 'conversations',
        script: 'thread.js',
        styles: ['conversations.css'],
        body: `<div id="thread" data-open-kfid="${esc(req.params.kf)}" data-external-userid="${esc(req.params.user)}"></div>
<div id="operator-panel" data-open-kfid="${esc(req.params.kf)}" data-external-userid="${esc(req.params.user)}"></div>`,
      }),
  );

  app.get<{ Querystring: { kf: string; user: string; before?: number; limit?: number } }>(
    '/api/thread',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            kf: ID,
            user: ID,
            before: { type: 'integer', minimum: 1 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
          required: ['kf', 'user'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const { kf, user } = req.query;
      const [customer, page] = await Promise.all([
        conversations.summary(kf, user, Date.now()),
        conversations.thread(kf, user, {
          limit: req.query.limit ?? 100,
          ...(req.query.before !== undefined ? { before: req.query.before } : {}),
        }),
      ]);
      if (!customer)
        return sendProblem(req, reply, opts.base, {
          status: 404,
          code: 'not_found',
          message: NOT_FOUND[req.consoleLang],
        });
      return { customer: wireSummary(customer), items: page.items.map(wireItem), more: page.more };
    },
  );
};
