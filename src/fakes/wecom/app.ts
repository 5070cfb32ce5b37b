/**
 * Builds the fastify app: body parsing as lenient as WeCom's (bad JSON → errcode 47001, not HTTP 400),
 * the call log, injected latency and the access-token check, then the route groups.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { checkAccessToken, registerGetToken, type Credentials } from './auth.js';
import type { Faults } from './faults.js';
import { INVALID_JSON, fail } from './reply.js';
import { CONTROL_PREFIX } from './routes-control.js';
import { registerCustomer } from './routes-customer.js';
import { registerMedia } from './routes-media.js';
import { registerRobot, ROBOT_PATH, type Robots } from './routes-robot.js';
import { registerSend } from './routes-send.js';
import { registerSession } from './routes-session.js';
import { registerSync, type SyncOptions } from './routes-sync.js';
import type { FakeState } from './state.js';

const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

function parseJsonLeniently(
  _req: unknown,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const text = body.toString();
  if (text.trim() === '') return done(null, {});
  try {
    done(null, JSON.parse(text));
  } catch {
    done(null, INVALID_JSON);
  }
}

export function buildApp(
  state: FakeState,
  faults: Faults,
  creds: Credentials,
  sync: SyncOptions,
  robots: Robots,
): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 });

  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonLeniently);
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
    (_req, body, done) => done(null, body),
  );
  // WeCom does not insist on a content-type for JSON APIs.
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJsonLeniently);

  app.addHook('preHandler', async (req, reply) => {
    const url = new URL(req.url, 'http://fake');
    if (url.pathname.startsWith(CONTROL_PREFIX)) return; // the fake's own controls: no token, not logged as calls
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (k !== 'access_token' && k !== 'corpsecret') query[k] = v;
    state.calls.push({
      path: url.pathname,
      ...(Object.keys(query).length ? { query } : {}),
      ...(req.body !== undefined && !Buffer.isBuffer(req.body) && req.body !== INVALID_JSON
        ? { body: req.body }
        : {}),
      at: state.now(),
    });
    if (state.latencyMs > 0) await new Promise((r) => setTimeout(r, state.latencyMs));
    // gettoken takes the secret; a group robot's webhook carries its own key instead of a token.
    if (url.pathname === '/cgi-bin/gettoken' || url.pathname === ROBOT_PATH) return;
    if (checkAccessToken(state, req, reply)) return reply;
    if (req.body === INVALID_JSON) return reply.send(fail(47001, 'data format error'));
  });

  registerGetToken(app, state, creds);
  registerSync(app, state, faults, sync);
  registerSend(app, state, faults);
  registerSession(app, state);
  registerMedia(app, state);
  registerCustomer(app, state);
  registerRobot(app, state, robots);
  return app;
}
