/**
 * The OpenAI-compatible API: `GET /v1/models`, `GET /v1/models/{id}`, `POST /v1/chat/completions`
 * (also without `/v1`, for clients configured with a bare base URL). Thin: authenticate, validate,
 * hand to src/openai, reply. Every error, including fastify's own (bad JSON, body too large,
 * schema), leaves in OpenAI's error envelope.
 */
import cors from '@fastify/cors';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../log/logger.js';
import type { ApiKeyring, KeyMatch } from '../../openai/auth.js';
import { complete, type CompletionDeps } from '../../openai/completions.js';
import { OpenAiError, toOpenAiError } from '../../openai/errors.js';
import { identityOf, OWUI_HEADERS } from '../../openai/identity.js';
import { toModelObject, type ModelCatalog } from '../../openai/models.js';
import { chatBodySchema, describeSchemaError, readChatBody, type SchemaError } from '../../openai/request.js';
import { SseStream } from '../../openai/sse.js';
import type { ApiRateLimits } from '../api-rate-limits.js';
import { readJsonBody } from '../json-body.js';

export interface OpenAiRouteOptions {
  keyring: ApiKeyring;
  catalog: ModelCatalog;
  completions: CompletionDeps;
  bodyLimit: number;
  /** Answer unknown paths under this plugin's prefix with an OpenAI 404 (only for the `/v1` instance). */
  notFound?: boolean;
  limits?: ApiRateLimits;
  /** Browser origins allowed to call these routes (CORS); empty or unset: no CORS headers. */
  corsOrigins?: string[];
}

function sendError(reply: FastifyReply, e: OpenAiError): FastifyReply {
  // `void`: header() returns the reply, which is thenable but not work to wait for.
  for (const [k, v] of Object.entries(e.headers)) void reply.header(k, v);
  return reply.code(e.status).type('application/json').send(e.body());
}

function modelNotFound(id: string, param: string | null): OpenAiError {
  return new OpenAiError({
    status: 404,
    code: 'model_not_found',
    param,
    type: 'invalid_request_error',
    message: `The model "${id}" does not exist on this wxcoze; GET /v1/models lists the available ones.`,
  });
}

export const openAiRoutes: FastifyPluginAsync<OpenAiRouteOptions> = async (app, opts) => {
  const keys = new WeakMap<FastifyRequest, KeyMatch>();

  if (opts.corsOrigins?.length) {
    // Open-WebUI's direct connections call /v1 from the browser. The preflight is answered in
    // cors' own hook, before the key check below (a preflight carries no key).
    await app.register(cors, {
      origin: opts.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: [
        'authorization',
        'content-type',
        'x-openwebui-user-id',
        'x-openwebui-user-name',
        'x-openwebui-user-email',
        'x-openwebui-chat-id',
        'x-openwebui-task',
      ],
      exposedHeaders: ['retry-after', 'x-should-retry'],
      maxAge: 600,
    });
  }

  // Nesting and size checked before JSON.parse (src/server/json-body.ts).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (req: FastifyRequest, payload: IncomingMessage) => {
    const declared = Number(req.headers['content-length']);
    return readJsonBody(
      payload,
      req.routeOptions.bodyLimit ?? opts.bodyLimit,
      Number.isFinite(declared) ? declared : undefined,
    );
  });

  app.addHook('onRequest', async (req) => {
    await opts.limits?.perIp(req);
    if (req.method === 'OPTIONS') return;
    // Before the body is read: an unauthenticated client cannot make us parse its body.
    const key = opts.keyring.check(req.headers.authorization);
    keys.set(req, key);
    await opts.limits?.perKey(req, key.keyId);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: SchemaError[] }, req, reply) => {
    let e: OpenAiError;
    if (err instanceof OpenAiError) e = err;
    else if (err.validation?.length) {
      const { param, message } = describeSchemaError(err.validation[0]!);
      e = new OpenAiError({ status: 400, param, code: 'invalid_value', message });
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const message =
        err.statusCode === 413
          ? `The request body is larger than ${opts.bodyLimit} bytes`
          : `Invalid request: ${err.message}`;
      e = new OpenAiError({
        status: err.statusCode,
        message,
        code: err.statusCode === 413 ? 'request_too_large' : 'invalid_request',
      });
    } else e = toOpenAiError(err);
    if (e.status >= 500)
      req.log.error({ err: { name: err.name, message: e.message, code: e.code } }, 'openai: request failed');
    else if (e.status !== 401)
      req.log.info({ status: e.status, code: e.code, param: e.param }, 'openai: request rejected');
    return sendError(reply, e);
  });

  if (opts.notFound) {
    app.setNotFoundHandler((req, reply) =>
      sendError(
        reply,
        new OpenAiError({
          status: 404,
          code: 'unknown_url',
          message: `Unknown request URL: ${req.method} ${req.url.split('?')[0]}. wxcoze serves GET /v1/models and POST /v1/chat/completions.`,
        }),
      ),
    );
  }

  app.get('/models', async () => ({ object: 'list', data: opts.catalog.list() }));

  app.get<{ Params: { id: string } }>('/models/:id', async (req) => {
    const m = opts.catalog.get(req.params.id);
    if (!m) throw modelNotFound(req.params.id, 'model');
    return toModelObject(m);
  });

  app.post(
    '/chat/completions',
    { bodyLimit: opts.bodyLimit, schema: { body: chatBodySchema } },
    async (req, reply) => {
      const call = readChatBody(req.body);
      const model = opts.catalog.get(call.model);
      if (!model) throw modelNotFound(call.model, 'model');
      const identity = identityOf(req.headers, call.user, keys.get(req)!);
      const ac = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) ac.abort(new Error('client closed the connection'));
      });
      const taskHeader = req.headers[OWUI_HEADERS.task];
      const log = req.log.child({ model: model.id }) as unknown as Logger;
      try {
        const body = await complete(
          opts.completions,
          {
            model,
            messages: call.messages,
            stream: call.stream,
            includeUsage: call.includeUsage,
            identity,
            ...(typeof taskHeader === 'string' && taskHeader.trim() ? { taskHeader: taskHeader.trim() } : {}),
          },
          {
            signal: ac.signal,
            log,
            openStream: () => {
              // `void`: hijack() returns the reply (thenable), nothing to wait for.
              void reply.hijack();
              return new SseStream(reply.raw, opts.completions.keepAliveMs);
            },
          },
        );
        if (body === undefined) return reply;
        return reply.type('application/json').send(body);
      } catch (err) {
        if (ac.signal.aborted) {
          log.info('openai: client left before the answer');
          return reply.code(499).send();
        }
        throw err;
      }
    },
  );
};
