/** Turns an injected fault into the HTTP behaviour it models. */
import type { FastifyReply } from 'fastify';
import type { FaultMode, Faults } from './faults.js';
import { fail } from './reply.js';

export async function applyFault(
  reply: FastifyReply,
  mode: FaultMode,
  faults: Faults,
): Promise<FastifyReply> {
  switch (mode) {
    case 'busy':
      return reply.send(fail(-1, 'system busy'));
    case 'rate-limited':
      return reply.send(fail(45009, 'api freq out of limit'));
    case 'timeout':
      // Hold the request; the client is expected to give up first. Nothing was processed.
      await faults.hang();
      return reply.code(504).send('gateway timeout');
    case 'http500':
    case 'accept-then-500':
      return reply.code(500).type('text/html').send('<html><body>500 Internal Server Error</body></html>');
  }
}
