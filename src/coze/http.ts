/**
 * HTTP plumbing shared by every Coze call: one keep-alive undici Agent per connect timeout
 * (so a thousand concurrent streams share sockets instead of each fetch() paying for its own
 * machinery), and turning whatever came back — Coze JSON, an HTML gateway page, a dropped
 * socket — into either a payload or a CozeError.
 */
import type { Agent } from 'undici';
import { undici } from '../net/undici.js';
import { CozeError, kindOf, type CozeErrorKind } from './errors.js';
import { isRecord, num, parseCozeJson, str } from './json.js';

const agents = new Map<number, Promise<Agent>>();

/** The process-wide Agent for a connect timeout. Stream bodies are policed by our own watchdog, not undici's timers. */
export function sharedAgent(connectTimeoutMs: number): Promise<Agent> {
  let a = agents.get(connectTimeoutMs);
  if (!a) {
    a = undici().then(
      ({ Agent }) =>
        new Agent({
          connect: { timeout: connectTimeoutMs },
          keepAliveTimeout: 30_000,
          headersTimeout: 0,
          bodyTimeout: 0,
        }),
    );
    agents.set(connectTimeoutMs, a);
  }
  return a;
}

export function headerOf(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Text of an HTML/plain error page, short enough for a log line ("504 Gateway Time-out"). */
function gist(text: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  const plain = (title ?? text.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
  return plain.slice(0, 200) || '(empty body)';
}

/**
 * Read a non-stream reply. Coze puts business errors in a JSON body with HTTP 200, so the code
 * decides; the HTTP status only speaks when there is no code (gateways, proxies, 401 without body).
 * Returns the whole JSON object (envelopes differ per endpoint, docs/protocol.md §coze-envelope).
 */
export function readEnvelope(
  status: number,
  text: string,
  logid: string | undefined,
): Record<string, unknown> {
  let body: unknown;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      body = parseCozeJson(trimmed);
    } catch {
      body = undefined;
    }
  }
  if (isRecord(body)) {
    const detail = isRecord(body.detail) ? body.detail : undefined;
    const id = logid ?? str(detail?.logid) ?? (isRecord(body.error) ? str(body.error.logid) : undefined);
    // The OAuth token endpoint answers RFC 6749-style: a word in error_code, text in error_message
    // (docs/protocol.md §coze-oauth-jwt). Workflow errors put a number there; those fall through.
    const word =
      typeof body.error_code === 'string' && !/^-?\d+$/.test(body.error_code) ? body.error_code : '';
    if (word)
      throw new CozeError({
        kind: oauthKind(word, status),
        msg: str(body.error_message) ?? word,
        httpStatus: status >= 300 ? status : undefined,
        logid: id,
        oauthError: word,
      });
    // OAuth-style bodies use error_code/error_message instead of code/msg.
    const code = num(body.code ?? body.error_code);
    const msg = str(body.msg ?? body.error_message ?? body.message) ?? '';
    if (code !== 0)
      throw new CozeError({
        code,
        msg: msg || `error ${code}`,
        httpStatus: status >= 300 ? status : undefined,
        logid: id,
      });
    if (status >= 200 && status < 300) return body;
    throw new CozeError({ msg: msg || `HTTP ${status}`, httpStatus: status, logid: id });
  }
  if (status >= 200 && status < 300) {
    throw new CozeError({
      kind: 'other',
      msg: `unexpected non-JSON reply: ${gist(text)}`,
      httpStatus: status,
      logid,
    });
  }
  throw new CozeError({ kind: kindOf(undefined, status), msg: gist(text), httpStatus: status, logid });
}

/** What an OAuth `error_code` means for the caller (docs/protocol.md §coze-oauth-jwt). */
function oauthKind(word: string, status: number): CozeErrorKind {
  switch (word) {
    case 'invalid_client':
    case 'invalid_grant':
    case 'access_deny':
    case 'access_denied':
    case 'expired_token':
      return 'auth';
    case 'invalid_request':
    case 'unsupported_grant_type':
      return 'bad_request';
    case 'internal_error':
      return 'server';
    default:
      return kindOf(undefined, status);
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Map a transport failure (undici/socket error) to a CozeError; CozeErrors pass through. */
export function transportError(err: unknown, what: string): CozeError {
  if (err instanceof CozeError) return err;
  const code = isRecord(err) ? str(err.code) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (code && TIMEOUT_CODES.has(code))
    return new CozeError({ kind: 'timeout', msg: `${what}: ${message}`, cause: err });
  return new CozeError({ kind: 'network', msg: `${what}: ${code ? `${code} ` : ''}${message}`, cause: err });
}
