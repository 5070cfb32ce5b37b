import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { requestLogger } from '../../src/server/request-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ level, base: { app: 'wxcoze' }, redact: ['token', '*.token'] }, stream);
  let children = 0;
  type ChildFn = (this: pino.Logger, b: pino.Bindings, o?: object) => pino.Logger;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with .call(this): pino's child needs its logger
  const child = logger.child as unknown as ChildFn;
  // Counts every child made (pino's children inherit this method, so it must keep its `this`).
  const counting: ChildFn = function (b, o) {
    children++;
    return child.call(this, b, o);
  };
  (logger as unknown as { child: ChildFn }).child = counting;
  const make = (opts: Record<string, unknown> = {}) =>
    requestLogger.call(
      {} as FastifyInstance,
      logger as unknown as FastifyBaseLogger,
      { reqId: 'r-1' },
      opts,
      {} as never,
    ) as unknown as pino.Logger;
  return { lines, make, children: () => children };
}

test('a request logger writes what pino would, with the reqId, and builds pino’s child only when a line is written', () => {
  const { lines, make, children } = capture('info');
  const log = make();
  log.debug({ openKfId: 'wk1' }, 'kf callback accepted');
  assert.equal(log.isLevelEnabled('debug'), false);
  assert.equal(log.level, 'info');
  assert.equal(children(), 0, 'nothing written, no child made');
  log.warn({ status: 400, token: 's3cret' }, 'callback rejected');
  log.info('second line');
  assert.equal(children(), 1, 'one child for the whole request');
  assert.deepEqual(
    lines.map((l) => [l.level, l.reqId, l.app, l.msg, l.token]),
    [
      [40, 'r-1', 'wxcoze', 'callback rejected', '[Redacted]'],
      [30, 'r-1', 'wxcoze', 'second line', undefined],
    ],
  );
  const sub = log.child({ model: 'bot' }); // the OpenAI route does this
  sub.info('from a child');
  assert.deepEqual([lines[2]!.reqId, lines[2]!.model], ['r-1', 'bot']);
});

test('at debug the debug line is written; a route with its own level gets pino’s child at once', () => {
  const dbg = capture('debug');
  dbg.make().debug({ openKfId: 'wk1' }, 'kf callback accepted');
  assert.deepEqual([dbg.lines[0]!.reqId, dbg.lines[0]!.openKfId], ['r-1', 'wk1']);
  const own = capture('info');
  const log = own.make({ level: 'debug' });
  assert.equal(own.children(), 1);
  log.debug('route-level debug');
  assert.equal(own.lines[0]!.msg, 'route-level debug');
});
