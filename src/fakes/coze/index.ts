/**
 * A local stand-in for the Coze Open API (docs/protocol.md §fakes), faithful where clients break: Bearer auth
 * (401 / 4100), JSON errors before streams, the exact SSE framing, conversation_id placement,
 * one running chat per conversation (4016), cancel (4104 once finished), multipart uploads.
 * Tests and `wxcoze demo` drive it through the returned control object.
 */
import Fastify from 'fastify';
import { fail } from './envelope.js';
import { registerChatRoutes } from './routes/chat.js';
import { registerConversationRoutes } from './routes/conversations.js';
import { registerFileRoutes } from './routes/files.js';
import { registerSpeechRoutes } from './routes/speech.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerOAuthRoutes, TOKEN_PATH } from './routes/oauth.js';
import { FakeOAuthApp } from './oauth.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { FakeState } from './state.js';
import type { FakeCoze, FakeCozeOptions } from './types.js';

export type {
  FakeAnswer,
  FakeCoze,
  FakeCozeOptions,
  FailMode,
  RecordedChat,
  RecordedMessage,
  Responder,
  StoredConversation,
  StoredFile,
  StoredMessage,
  ThrottleAs,
  ThrottleRule,
} from './types.js';
export type { TokenRequest } from './oauth.js';
export { defaultResponder, describeMessage } from './responder.js';

export async function startFakeCoze(opts: FakeCozeOptions): Promise<FakeCoze> {
  const oauth = opts.oauth
    ? new FakeOAuthApp(opts.oauth.appId, opts.oauth.keyId, opts.oauth.publicKey, opts.oauth.tokenLifetimeS)
    : undefined;
  const state = new FakeState(
    opts.token,
    opts.botIds ? new Set(opts.botIds) : undefined,
    new Set(opts.unpublishedBotIds ?? []),
    opts.workflowIds ? new Set(opts.workflowIds) : undefined,
    oauth,
    opts.conversationOwner ?? 'account',
  );
  // forceCloseConnections: hung streams ('hang') must not keep close() waiting.
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 * 1024 });

  // Lenient JSON: the SDKs POST retrieve/cancel with an empty body and a JSON content type.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      (err as Error & { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-tt-logid', state.logid());
    if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
    if (state.outage) return reply.code(502).type('text/html').send('<html><h1>502 Bad Gateway</h1></html>');
    // The token endpoint authenticates with its JWT instead (routes/oauth.ts).
    if (req.url.split('?')[0] === TOKEN_PATH) return;
    const principal = state.principalOf(req.headers.authorization);
    if (!principal) {
      state.authRefusals++;
      return fail(reply, 4100, 'authentication is invalid', 401);
    }
    state.setRequestPrincipal(req, principal);
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    return fail(reply, status < 500 ? 4000 : 5000, err.message, status);
  });
  app.setNotFoundHandler((_req, reply) => fail(reply, 4200, 'resource not found', 404));

  registerChatRoutes(app, state);
  registerWorkflowRoutes(app, state);
  registerConversationRoutes(app, state);
  registerFileRoutes(app, state);
  registerSpeechRoutes(app, state);
  registerInfoRoutes(app, state, new Set(opts.metadataDeniedBotIds ?? []));
  registerOAuthRoutes(app, oauth);

  const host = opts.host ?? '127.0.0.1';
  // Coze serves many clients from a farm: 1,000 chats opened at once must not overflow a 511 backlog.
  await app.listen({ host, port: opts.port ?? 0, backlog: 4096 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;

  return {
    url: `http://${host}:${port}`,
    async close() {
      state.stopAll();
      await app.close();
    },
    chats: state.chats,
    conversations: state.conversations,
    files: state.files,
    setResponder(fn) {
      state.responder = fn;
    },
    failNext(n, mode) {
      state.failNext(n, mode);
    },
    setLatency(ms) {
      state.latencyMs = ms;
    },
    setTranscriber(fn) {
      state.transcriber = fn;
    },
    speeches: state.speeches,
    deleteConversation(id) {
      state.conversations.delete(id);
    },
    runningChats: () => state.runningChats(),
    get maxConcurrentSeen() {
      return state.maxConcurrentSeen;
    },
    setThrottle(rule) {
      state.setThrottle(rule);
    },
    setToken(token) {
      state.token = token;
    },
    setOutage(on) {
      state.outage = on;
    },
    get throttledChats() {
      return state.throttledChats;
    },
    get authRefusals() {
      return state.authRefusals;
    },
    get oauthTokensIssued() {
      return oauth?.tokens.size ?? 0;
    },
    tokenRequests: oauth?.requests ?? [],
    setTokenLifetime(seconds) {
      if (oauth) oauth.lifetimeS = seconds;
    },
    expireOAuthTokens() {
      oauth?.expireAll();
    },
  };
}
