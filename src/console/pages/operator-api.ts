import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_BATCH, OperatorActions } from '../../operator/actions.js';
import { OperatorRefusal } from '../../operator/refusal.js';
import { sendProblem } from '../errors.js';
import type { ConsolePage } from '../types.js';
import { REFUSALS, refusalText } from './operator-messages.js';

/** Customers shown in the waiting queue at most (the count is exact up to this). */
const QUEUE_LIMIT = 100;
/** A handoff older than 48 h has lapsed: it is no longer waiting. */
const QUEUE_MAX_AGE_MS = 48 * 3600_000;

const customer = {
  openKfId: { type: 'string', minLength: 1, maxLength: 64 },
  externalUserId: { type: 'string', minLength: 1, maxLength: 64 },
} as const;
const customerBody = {
  type: 'object',
  required: ['openKfId', 'externalUserId'],
  properties: customer,
  additionalProperties: false,
} as const;
const msgidsBody = {
  type: 'object',
  required: ['msgids'],
  properties: {
    msgids: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH,
      items: { type: 'string', minLength: 1, maxLength: 128 },
    },
  },
  additionalProperties: false,
} as const;

interface Customer {
  openKfId: string;
  externalUserId: string;
}

/**
 * The operator's actions as JSON: a chat's mode and budget, take over, hand back, reply; the
 * waiting queue. Thin: each route hands to src/operator/ (the domain) and shapes its answer;
 * refusals become `{error:{code,message}}` in the operator's language. CSRF is checked by the
 * console's authed scope before any POST reaches these.
 */
export const operatorApi: ConsolePage = async (app, opts) => {
  const ops = new OperatorActions({
    store: opts.store,
    kick: () => opts.kickPipeline?.(),
    audit: (e) => opts.store.consoleAccess.audit(e),
  });

  const refuse = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (!(err instanceof OperatorRefusal)) throw err;
    return sendProblem(req, reply, opts.base, {
      status: REFUSALS[err.code].status,
      code: err.code,
      message: refusalText(err.code, req.consoleLang),
    });
  };

  app.get<{ Querystring: Customer }>(
    '/api/chat/control',
    { schema: { querystring: customerBody } },
    async (req) => ops.control(req.query.openKfId, req.query.externalUserId),
  );

  app.post<{ Body: Customer }>(
    '/api/chat/take-over',
    { schema: { body: customerBody } },
    async (req, reply) => {
      try {
        const { openKfId, externalUserId } = req.body;
        const r = await ops.takeOver(req.operator, openKfId, externalUserId);
        return { ...r, control: await ops.control(openKfId, externalUserId) };
      } catch (err) {
        return refuse(req, reply, err);
      }
    },
  );

  app.post<{ Body: Customer }>(
    '/api/chat/hand-back',
    { schema: { body: customerBody } },
    async (req, reply) => {
      try {
        const { openKfId, externalUserId } = req.body;
        const r = await ops.handBack(req.operator, openKfId, externalUserId);
        return { ...r, control: await ops.control(openKfId, externalUserId) };
      } catch (err) {
        return refuse(req, reply, err);
      }
    },
  );

  app.post<{ Body: Customer & { actionId: string; text: string } }>(
    '/api/chat/reply',
    {
      schema: {
        body: {
          type: 'object',
          required: ['openKfId', 'externalUserId', 'actionId', 'text'],
          properties: {
            ...customer,
            actionId: { type: 'string', minLength: 1, maxLength: 64 },
            text: { type: 'string', maxLength: 4096 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      try {
        const { openKfId, externalUserId, actionId, text } = req.body;
        const r = await ops.reply(req.operator, openKfId, externalUserId, actionId, text);
        return { ...r, control: await ops.control(openKfId, externalUserId) };
      } catch (err) {
        return refuse(req, reply, err);
      }
    },
  );

  // The console's queue: customers handed to the console, oldest first (the nav's count, the banner).
  app.get('/api/waiting', async () => {
    const customers = await opts.store.operatorActions.waitingQueue({
      limit: QUEUE_LIMIT,
      sinceAfter: Date.now() - QUEUE_MAX_AGE_MS,
    });
    return { count: customers.length, customers };
  });

  app.post<{ Body: { msgids: string[] } }>(
    '/api/failed/retry',
    { schema: { body: msgidsBody } },
    async (req) => {
      const results = await ops.retry(req.operator, req.body.msgids);
      return {
        results: results.map((r) =>
          r.ok
            ? r
            : { msgid: r.msgid, ok: false, code: r.code, message: refusalText(r.code, req.consoleLang) },
        ),
      };
    },
  );

  app.post<{ Body: { msgids: string[] } }>(
    '/api/failed/dismiss',
    { schema: { body: msgidsBody } },
    async (req) => ({
      dismissed: await ops.dismiss(req.operator, req.body.msgids),
    }),
  );
};
