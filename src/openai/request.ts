/**
 * The chat request as wxcoze reads it. The JSON schema checks only what we use and never rejects
 * unknown keys (clients and gateways add extras; strict servers broke the Agents and Vercel SDKs,
 * docs/protocol.md §openai-request); sampling parameters are accepted and ignored.
 */
import { badRequest } from './errors.js';

export const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;

export const chatBodySchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: { role: { type: 'string', enum: [...ROLES] } },
      },
    },
    stream: { type: ['boolean', 'null'] },
    stream_options: {
      type: ['object', 'null'],
      properties: { include_usage: { type: ['boolean', 'null'] } },
    },
    n: { type: ['integer', 'null'] },
  },
} as const;

export interface ChatCall {
  model: string;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  user: unknown;
}

interface Body {
  model: string;
  messages: unknown[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  n?: number | null;
  tools?: unknown;
  tool_choice?: unknown;
  function_call?: unknown;
  user?: unknown;
}

/** The parts of a (schema-valid) body that matter, or a 400 for what wxcoze cannot honour. */
export function readChatBody(raw: unknown): ChatCall {
  const b = raw as Body;
  if (b.n !== undefined && b.n !== null && b.n !== 1) {
    throw badRequest(
      'wxcoze returns one choice per request: n must be 1 (or left out).',
      'n',
      'unsupported_parameter',
    );
  }
  // Open-WebUI ≥ 0.10 sends its builtin tools with every chat: accepted and simply never called.
  // Only a request that insists on a tool call cannot be answered by a Coze bot.
  const tc = b.tool_choice;
  if (tc === 'required' || (tc !== null && typeof tc === 'object')) {
    throw badRequest(
      'tool_choice forces a tool call, but Coze bots answer with text and run their own plugins: leave tool_choice out or set it to "auto" or "none".',
      'tool_choice',
      'unsupported_parameter',
    );
  }
  if (b.function_call !== null && typeof b.function_call === 'object') {
    throw badRequest(
      'function_call forces a function call, which Coze bots cannot do: leave it out or set it to "auto" or "none".',
      'function_call',
      'unsupported_parameter',
    );
  }
  return {
    model: b.model,
    messages: b.messages,
    stream: b.stream === true,
    includeUsage: b.stream === true && b.stream_options?.include_usage === true,
    user: b.user,
  };
}

/** `/messages/0/role` → `messages[0].role`: the `param` clients show. */
/** One schema validation error as fastify hands it over (ajv's shape). */
export interface SchemaError {
  instancePath: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * A schema error in words and with its `param`: "`messages` is required", "`messages[0].role`
 * must be one of: system, user, …", "the request body must be object" — never ajv's raw
 * "messages must have required property 'messages'".
 */
export function describeSchemaError(v: SchemaError): { param: string | null; message: string } {
  const missing = typeof v.params?.missingProperty === 'string' ? v.params.missingProperty : undefined;
  const param = paramOf(v.instancePath, missing);
  const subject = param ? `\`${param}\`` : 'the request body';
  if (v.keyword === 'required' && missing)
    return { param, message: `Invalid request: ${subject} is required.` };
  if (Array.isArray(v.params?.allowedValues)) {
    return {
      param,
      message: `Invalid request: ${subject} must be one of: ${(v.params.allowedValues as unknown[]).map(String).join(', ')}.`,
    };
  }
  return { param, message: `Invalid request: ${subject} ${v.message ?? 'is invalid'}.` };
}

export function paramOf(instancePath: string, missing?: string): string | null {
  const segs = instancePath.split('/').filter(Boolean);
  if (missing) segs.push(missing);
  if (!segs.length) return null;
  return segs.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}
