#!/usr/bin/env node
/**
 * The baseline for the callback benchmark: the project's own fastify with one POST /wechat/hook
 * route that reads the XML body as a string and answers `success`, nothing else (no logging, no
 * validation, no crypto). Prints {"url": …} on stdout; exits when the parent disconnects.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 65536 });
app.addContentTypeParser(
  ['text/xml', 'application/xml', 'text/plain'],
  { parseAs: 'string' },
  (_req, body, done) => done(null, body),
);
app.post('/wechat/hook', async (_req, reply) => reply.type('text/plain').send('success'));
// The same accept backlog as wxcoze's (src/server/start-server.ts).
const url = await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
process.stdout.write(JSON.stringify({ url, pid: process.pid }) + '\n');
process.on('disconnect', () => process.exit(0));
