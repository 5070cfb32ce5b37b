import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../log/logger.js';
import type { WarnLimiter } from '../../log/warn-limiter.js';
import { countCallback, observeCallbackAck, type CallbackResult } from '../../ops/metrics.js';
import { CallbackParseError, parseEnvelope, parseEvent } from '../../wecom/callback.js';
import { WecomCrypto, WecomCryptoError } from '../../wecom/crypto.js';
import { clientAddress } from '../client-address.js';

export interface WechatHookOptions {
  crypto: WecomCrypto;
  /** Called for every kf_msg_or_event: must return at once (the pull runs afterwards). */
  onKfEvent: (openKfId: string, token: string, reqId: string) => void;
  isShuttingDown: () => boolean;
  /** Signed timestamps further than this from our clock are refused (replayed callbacks), s. */
  maxSkewS: number;
  /** Rate limit of the rejection warnings (shared with the app's other outside-triggered warnings). */
  warns: WarnLimiter;
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

/** Why a callback was refused: the fixed text the client gets, its status and its /metrics label. */
const REFUSALS = {
  bad_signature: { status: 401, text: 'bad signature', result: 'bad_signature' },
  bad_crypto: { status: 400, text: 'ciphertext does not decrypt for this app', result: 'bad_signature' },
  malformed: { status: 400, text: 'malformed callback XML', result: 'malformed' },
  empty: { status: 400, text: 'empty or non-XML body', result: 'malformed' },
  stale: {
    status: 400,
    text: "timestamp outside the allowed window (check this server's clock: wxcoze doctor)",
    result: 'stale_timestamp',
  },
} as const satisfies Record<string, { status: number; text: string; result: CallbackResult }>;

/**
 * One short fixed 4xx for anything WeCom would never send; nothing is processed. The detail (which
 * may quote attacker-chosen XML) goes only to the log, cut short, and the warning is rate-limited.
 */
function reject(
  req: FastifyRequest,
  reply: FastifyReply,
  warns: WarnLimiter,
  why: keyof typeof REFUSALS,
  detail?: string,
  extra: Record<string, unknown> = {},
) {
  const r = REFUSALS[why];
  countCallback(r.result);
  warns.warn(
    req.log as unknown as Logger,
    `callback_${why}`,
    {
      status: r.status,
      client: clientAddress(req),
      ...(detail ? { detail: detail.slice(0, 120) } : {}),
      ...extra,
    },
    'callback rejected',
  );
  return reply.code(r.status).type('text/plain').send(r.text);
}

function cryptoRefusal(err: WecomCryptoError): keyof typeof REFUSALS {
  return err.code === -40001 ? 'bad_signature' : 'bad_crypto';
}

/** Seconds between the signed timestamp and our clock (positive: the callback claims to be from the future). */
function skewOf(timestamp: string): number {
  return Number(timestamp) - Math.floor(Date.now() / 1000);
}

/**
 * GET/POST /wechat/hook — the older bridge's callback path, so a WeCom console already pointing
 * at it keeps working. The POST answers in milliseconds: verify, decrypt, parse, schedule a pull.
 */
export const wechatHookRoutes: FastifyPluginAsync<WechatHookOptions> = async (app, opts) => {
  app.addContentTypeParser(
    ['text/xml', 'application/xml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.get<{ Querystring: SignedQuery }>(
    '/wechat/hook',
    { schema: { querystring: { ...signedQuery, required: [...signedQuery.required, 'echostr'] } } },
    async (req, reply) => {
      const q = req.query;
      // Some proxies turn '+' into ' ' in query strings; base64 never contains spaces.
      const echostr = q.echostr!.replace(/ /g, '+');
      let plain: string;
      try {
        plain = opts.crypto.verifyUrl(q.msg_signature, q.timestamp, q.nonce, echostr);
      } catch (err) {
        if (err instanceof WecomCryptoError)
          return reject(req, reply, opts.warns, cryptoRefusal(err), err.reason);
        throw err;
      }
      // After the signature: an unsigned request says nothing about our clock, and costs no log line more.
      const skewS = skewOf(q.timestamp);
      if (Math.abs(skewS) > opts.maxSkewS)
        return reject(req, reply, opts.warns, 'stale', undefined, { skewS, maxSkewS: opts.maxSkewS });
      countCallback('verified');
      req.log.info('URL verification passed');
      return reply.type('text/plain').send(plain);
    },
  );

  app.post<{ Querystring: SignedQuery; Body: string }>(
    '/wechat/hook',
    {
      schema: { querystring: signedQuery },
      // Ack latency as WeCom sees it (from the request's arrival to the answer written): one
      // histogram observation, no allocation.
      onResponse: (_req, reply, done) => {
        observeCallbackAck(reply.elapsedTime / 1000);
        done();
      },
    },
    async (req, reply) => {
      if (opts.isShuttingDown()) {
        countCallback('shutting_down');
        return reply.code(503).type('text/plain').send('shutting down; WeCom will retry');
      }
      if (typeof req.body !== 'string' || req.body.length === 0)
        return reject(req, reply, opts.warns, 'empty');
      const q = req.query;
      let inner: string;
      try {
        const env = parseEnvelope(req.body);
        inner = opts.crypto.open(q.msg_signature, q.timestamp, q.nonce, env.encrypt);
      } catch (err) {
        if (err instanceof WecomCryptoError)
          return reject(req, reply, opts.warns, cryptoRefusal(err), err.reason);
        if (err instanceof CallbackParseError) return reject(req, reply, opts.warns, 'malformed', err.reason);
        throw err;
      }
      // The timestamp is signed: checked after the signature, it refuses replays of real callbacks
      // (a 30-day-old one was accepted) and shows a wrong clock in the log.
      const skewS = skewOf(q.timestamp);
      if (Math.abs(skewS) > opts.maxSkewS)
        return reject(req, reply, opts.warns, 'stale', undefined, { skewS, maxSkewS: opts.maxSkewS });
      let event;
      try {
        event = parseEvent(inner);
      } catch (err) {
        if (err instanceof CallbackParseError) return reject(req, reply, opts.warns, 'malformed', err.reason);
        throw err;
      }
      countCallback(event.kind === 'kf_msg_or_event' ? 'accepted' : 'acknowledged');
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
    },
  );
};
