/**
 * POST /cgi-bin/webhook/send?key=… — a WeCom group robot (群机器人), where wxcoze's alerts go.
 * Faithful where a sender breaks: an unknown key is errcode 93000 ("invalid webhook url"), a text
 * over 2048 bytes (markdown over 4096) is 40058, an empty one 44004, another msgtype 40008, and
 * more than 20 messages a minute per robot are refused with 45009. Every accepted message is
 * recorded per key for tests to read.
 */
import type { FastifyInstance } from 'fastify';
import { fail, isObject, ok } from './reply.js';
import type { FakeState } from './state.js';

export const ROBOT_PATH = '/cgi-bin/webhook/send';
const TEXT_MAX_BYTES = 2048;
const MARKDOWN_MAX_BYTES = 4096;
const PER_MINUTE = 20;
/** The robot's own words for the errors a test may queue. */
const ERRMSG: Record<number, string> = {
  93000: 'invalid webhook url',
  45009: 'api freq out of limit',
  40058: 'invalid Request Parameter',
  44004: 'empty content',
  40008: 'invalid message type',
};

export interface RobotMessage {
  key: string;
  msgtype: 'text' | 'markdown';
  content: string;
  at: number;
}

/** A queued failure: a robot errcode, or the gateway answering HTTP 502. */
export type RobotFault = number | 'http502';

export class Robots {
  readonly keys = new Set<string>();
  readonly received: RobotMessage[] = [];
  readonly faults: RobotFault[] = [];
  /** Accepted and refused-for-rate sends per key in the last minute (timestamps). */
  readonly recent = new Map<string, number[]>();
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

export function registerRobot(app: FastifyInstance, state: FakeState, robots: Robots): void {
  app.post(ROBOT_PATH, async (req, reply) => {
    const key = (req.query as Record<string, string | undefined>).key ?? '';
    if (!robots.keys.has(key)) return fail(93000, 'invalid webhook url');
    const fault = robots.faults.shift();
    if (fault === 'http502') return reply.code(502).type('text/html').send('<html>502 Bad Gateway</html>');
    if (fault !== undefined) return fail(fault, ERRMSG[fault]);
    const now = state.now();
    const recent = (robots.recent.get(key) ?? []).filter((t) => t > now - 60_000);
    robots.recent.set(key, recent);
    if (recent.length >= PER_MINUTE) return fail(45009, 'api freq out of limit');
    recent.push(now);
    const body = req.body;
    if (!isObject(body)) return fail(40008, 'invalid message type');
    const msgtype = body.msgtype;
    if (msgtype !== 'text' && msgtype !== 'markdown') return fail(40008, 'invalid message type');
    const content = isObject(body[msgtype]) ? body[msgtype].content : undefined;
    if (typeof content !== 'string' || !content) return fail(44004, 'empty content');
    const max = msgtype === 'text' ? TEXT_MAX_BYTES : MARKDOWN_MAX_BYTES;
    if (bytes(content) > max) return fail(40058, `${msgtype}.content exceed max length ${max}`);
    robots.received.push({ key, msgtype, content, at: now });
    return ok();
  });
}
