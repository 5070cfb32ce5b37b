/**
 * Errors of the OpenAI-compatible API, in OpenAI's envelope
 * (`{"error":{"message","type","param","code"}}`, docs/protocol.md §openai-errors), and the mapping of
 * Coze failures to a status a client acts on correctly: 429 with Retry-After when waiting helps,
 * 503 with `x-should-retry: false` when the operator must fix something, 502 for a bad upstream.
 * Messages never carry the Coze token or an API key: CozeError texts hold neither.
 */
import { CozeError, describeCozeError } from '../coze/errors.js';

export interface OpenAiErrorInit {
  status: number;
  message: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
}

export class OpenAiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(init: OpenAiErrorInit) {
    super(init.message);
    this.name = 'OpenAiError';
    this.status = init.status;
    this.type = init.type ?? typeForStatus(init.status);
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function badRequest(message: string, param: string | null, code = 'invalid_value'): OpenAiError {
  return new OpenAiError({ status: 400, message, param, code, type: 'invalid_request_error' });
}

/** The status and text a client gets for a Coze failure (before the stream started). */
export function fromCozeError(err: CozeError): OpenAiError {
  const message = describeCozeError(err);
  const noRetry = { 'x-should-retry': 'false' };
  switch (err.kind) {
    case 'rate_limit':
      return new OpenAiError({
        status: 429,
        message,
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '2' },
      });
    case 'quota':
      return new OpenAiError({
        status: 429,
        message,
        code: 'insufficient_quota',
        headers: { 'retry-after': '60', ...noRetry },
      });
    case 'overloaded':
      return new OpenAiError({
        status: 503,
        message,
        code: 'coze_overloaded',
        headers: { 'retry-after': '5' },
      });
    case 'auth':
    case 'permission':
    case 'not_published':
    case 'bot_invalid':
      // The operator's configuration: retrying cannot help, and the text says what to fix.
      return new OpenAiError({ status: 503, message, code: `coze_${err.kind}`, headers: noRetry });
    case 'bad_request':
      return new OpenAiError({ status: 400, message, code: 'coze_rejected', param: 'messages' });
    default:
      return new OpenAiError({
        status: 502,
        message,
        code: err.kind === 'timeout' ? 'coze_timeout' : 'coze_error',
        headers: err.retriable ? {} : noRetry,
      });
  }
}

/** Any failure as an OpenAiError; unexpected ones become a 500 without internals. */
export function toOpenAiError(err: unknown): OpenAiError {
  if (err instanceof OpenAiError) return err;
  if (err instanceof CozeError) return fromCozeError(err);
  return new OpenAiError({ status: 500, message: 'internal error in wxcoze', code: 'internal_error' });
}

/** The payload of an error chunk inside a stream: no `choices`, so clients raise it (docs/protocol.md §openai-errors). */
export function streamErrorPayload(err: unknown): string {
  const e = toOpenAiError(err);
  return JSON.stringify({
    error: {
      message: e.message,
      type: e.status >= 500 ? 'server_error' : e.type,
      param: null,
      code: e.code ?? 'coze_error',
    },
  });
}
