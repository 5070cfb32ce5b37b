import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { loggerOptions } from '../../src/log/logger.js';
import { lineSendingLogger, writeThreadLines } from '../../src/log/thread-lines.js';

const sink = (lines: string[]) =>
  new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
const turn = () => new Promise((r) => setImmediate(r));

test("the pipeline thread's lines reach the main logger's destinations with reqId and msgid, redacted, by level", async () => {
  const all: string[] = [];
  const warnings: string[] = [];
  // Like createLogger with a log file: a multistream whose destinations have their own levels.
  const main = pino(
    loggerOptions('info'),
    pino.multistream([
      { level: 'info', stream: sink(all) },
      { level: 'warn', stream: sink(warnings) },
    ]),
  );
  const { logger } = lineSendingLogger('debug', (lines) => writeThreadLines(main, lines));
  const log = logger.child({ reqId: 'r-1', msgid: 'msg-1' });
  log.info({ token: 'the-callback-token' }, 'sync_msg page stored');
  log.warn('WeCom refused the stored cursor');
  log.debug('message stored'); // below the main logger's level
  await turn();
  assert.equal(all.length, 2);
  const first = JSON.parse(all[0]!);
  assert.equal(first.reqId, 'r-1');
  assert.equal(first.msgid, 'msg-1');
  assert.equal(first.app, 'wxcoze');
  assert.equal(first.token, '[redacted]');
  assert.equal(first.msg, 'sync_msg page stored');
  assert.equal(warnings.length, 1, 'only the warning reaches the warn-level destination');
  assert.equal(JSON.parse(warnings[0]!).msg, 'WeCom refused the stored cursor');
});

test('lines are sent in one batch per event-loop turn, not one message each', async () => {
  const batches: number[] = [];
  const { logger, flush } = lineSendingLogger('info', (lines) => batches.push(lines.length));
  for (let i = 0; i < 50; i++) logger.info({ i }, 'line');
  await turn();
  logger.info('after');
  flush(); // what the worker does before answering a call
  assert.deepEqual(batches, [50, 1]);
});
