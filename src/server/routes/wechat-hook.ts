import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CallbackParseError, parseEnvelope, parseEvent } from '../../wecom/callback.js';
import { WecomCrypto, WecomCryptoError } from '../../wecom/crypto.js';

export interface WechatHookOptions {
  crypto: WecomCrypto;
  /** Called for every kf_msg_or_event: must return at once (the pull runs afterwards). */
  onKfEvent: (openKfId: string, token: string, reqId: string) => void;
  isShuttingDown: () => boolean;
}

const signedQuery = {
  type: 'object',
  required: ['msg_signature', 'timestamp', 'nonce'],
  properties: {
    msg_signature: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
    timestamp: { type: 'string', pattern: '^[0-9]{1,12}$' },
    nonce: { type: 'string', minLength: 1, maxLength: 64 },
    echostr: { type: 'string', minLength: 1, maxLength: 4096 },
  },
} as const;

type SignedQuery = { msg_signature: string; timestamp: string; nonce: string; echostr?: string };

/** One short 4xx and one log line for anything WeCom would never send; nothing is processed. */
function reject(req: FastifyRequest, reply: FastifyReply, status: number, reason: string) {
  req.log.warn({ status, reason }, 'callback rejected');
  return reply.code(status).type('text/plain').send(reason);
}

/**
 * GET/POST /wechat/hook — the older bridge's callback path, so a WeCom console already pointing
 * at it keeps working. The POST answers in milliseconds: verify, decrypt, parse, schedule a pull.
 */
export const wechatHookRoutes: FastifyPluginAsync<WechatHookOptions> = async (app, opts) => {
  app.addContentTypeParser(['text/xml', 'application/xml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get<{ Querystring: SignedQuery }>('/wechat/hook', { schema: { querystring: { ...signedQuery, required: [...signedQuery.required, 'echostr'] } } }, async (req, reply) => {
    const q = req.query;
    // Some proxies turn '+' into ' ' in query strings; base64 never contains spaces.
    const echostr = q.echostr!.replace(/ /g, '+');
    try {
      const plain = opts.crypto.verifyUrl(q.msg_signature, q.timestamp, q.nonce, echostr);
      req.log.info('URL verification passed');
      return reply.type('text/plain').send(plain);
    } catch (err) {
      if (err instanceof WecomCryptoError) return reject(req, reply, err.code === -40001 ? 401 : 400, err.reason);
      throw err;
    }
  });

  app.post<{ Querystring: SignedQuery; Body: string }>('/wechat/hook', { schema: { querystring: signedQuery } }, async (req, reply) => {
    if (opts.isShuttingDown()) return reply.code(503).type('text/plain').send('shutting down; WeCom will retry');
    if (typeof req.body !== 'string' || req.body.length === 0) return reject(req, reply, 400, 'empty or non-XML body');
    const q = req.query;
    let inner: string;
    try {
      const env = parseEnvelope(req.body);
      inner = opts.crypto.open(q.msg_signature, q.timestamp, q.nonce, env.encrypt);
    } catch (err) {
      if (err instanceof WecomCryptoError) return reject(req, reply, err.code === -40001 ? 401 : 400, err.reason);
      if (err instanceof CallbackParseError) return reject(req, reply, 400, err.message);
      throw err;
    }
    let event;
    try {
      event = parseEvent(inner);
    } catch (err) {
      if (err instanceof CallbackParseError) return reject(req, reply, 400, err.message);
      throw err;
    }
    if (event.kind === 'kf_msg_or_event') {
      opts.onKfEvent(event.openKfId, event.token, String(req.id));
      // The pull logs at info what it stores; one line per callback would be noise on the hot path.
      req.log.debug({ openKfId: event.openKfId }, 'kf callback accepted; pull scheduled');
    } else if (event.kind === 'kf_account_auth_change') {
      req.log.info({ added: event.added, removed: event.removed }, 'kf account authorisation changed');
    } else {
      // Ordinary app events share this URL: acknowledge, never error (an error makes WeCom retry).
      req.log.info({ msgType: event.msgType, event: event.event }, 'non-kf callback acknowledged');
    }
    return reply.type('text/plain').send('success');
  });
};
