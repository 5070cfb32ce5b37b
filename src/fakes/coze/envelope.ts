/**
 * Coze's JSON envelope (docs/protocol.md §coze-envelope): `{code, msg, data, detail:{logid}}`, business errors with
 * HTTP 200 and a non-zero code, the same log id in the X-Tt-Logid header and detail.logid.
 */
import type { FastifyReply } from 'fastify';

export function logidOf(reply: FastifyReply): string {
  return String(reply.getHeader('x-tt-logid') ?? '');
}

export function ok(reply: FastifyReply, data: unknown, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(200)
    .type('application/json')
    .send({ code: 0, msg: '', data, ...extra, detail: { logid: logidOf(reply) } });
}

/** A business error: HTTP 200 unless the real service is known to use another status (401 for 4100). */
export function fail(reply: FastifyReply, code: number, msg: string, httpStatus = 200): FastifyReply {
  return reply
    .code(httpStatus)
    .type('application/json')
    .send({ code, msg, detail: { logid: logidOf(reply) } });
}
