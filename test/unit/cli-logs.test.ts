import assert from 'node:assert/strict';
import { test } from 'node:test';
import { levelNumber, matchLine } from '../../src/cli/lib/logfile.js';

const line = (o: Record<string, unknown>) => JSON.stringify({ time: '2025-01-01T00:00:00.000Z', ...o });
const L = [
  line({ level: 30, msg: 'listening' }),
  line({ level: 30, msg: 'stored', msgid: 'MSG_A', externalUserId: 'wmC1' }),
  line({ level: 40, msg: 'send failed', msgid: 'MSG_A' }),
  line({ level: 50, msg: 'coze failed', msgid: 'MSG_B', customer: { external_userid: 'wmC2' } }),
  'plain text line',
];
const pick = (f: Parameters<typeof matchLine>[1]) =>
  L.map((l) => matchLine(l, f))
    .filter(Boolean)
    .map((m) => m!.obj?.msg ?? m!.raw);

test('logs filters: level (name or number), msgid, customer anywhere in the line, combined', () => {
  assert.deepEqual(pick({}), ['listening', 'stored', 'send failed', 'coze failed', 'plain text line']);
  assert.deepEqual(pick({ level: 'warn' }), ['send failed', 'coze failed']);
  assert.deepEqual(pick({ level: '50' }), ['coze failed']);
  assert.deepEqual(pick({ msgid: 'MSG_A' }), ['stored', 'send failed']);
  assert.deepEqual(pick({ customer: 'wmC2' }), ['coze failed']);
  assert.deepEqual(pick({ customer: 'wmC1', level: 'warn' }), []);
  assert.deepEqual(pick({ msgid: 'MSG' }), [], 'whole values only');
  assert.throws(() => levelNumber('loud'), /unknown level "loud"/);
});
