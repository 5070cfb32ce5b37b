// CozeError classification and the operator-facing descriptions.
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { CozeError, describeCozeError, isThrottling, kindOf } from '../../src/coze/errors.js';
import { readEnvelope } from '../../src/coze/http.js';

describe('CozeError', () => {
  it('classifies codes first, HTTP status second', () => {
    const cases: [number | undefined, number | undefined, string][] = [
      [4100, undefined, 'auth'],
      [undefined, 401, 'auth'],
      [4101, undefined, 'permission'],
      [4015, undefined, 'not_published'],
      [4006, undefined, 'bot_invalid'],
      [4002, undefined, 'conversation_gone'],
      [4016, undefined, 'chat_running'],
      [4013, undefined, 'rate_limit'],
      [4028, undefined, 'rate_limit'],
      [4020, undefined, 'rate_limit'],
      [undefined, 429, 'rate_limit'],
      [4009, undefined, 'overloaded'],
      [4008, undefined, 'quota'],
      [4011, undefined, 'quota'],
      [4019, undefined, 'quota'],
      [4022, undefined, 'quota'],
      [4000, undefined, 'bad_request'],
      [5000, undefined, 'server'],
      [undefined, 502, 'server'],
      [4104, undefined, 'other'],
      [4015, 401, 'not_published'],
    ];
    for (const [code, status, kind] of cases) assert.equal(kindOf(code, status), kind, `${code}/${status}`);
  });

  it('marks transient kinds retriable, and failed only when last_error is transient', () => {
    assert.equal(new CozeError({ code: 4013, msg: '' }).retriable, true);
    assert.equal(new CozeError({ code: 4009, msg: '' }).retriable, true);
    assert.equal(new CozeError({ kind: 'timeout', msg: '' }).retriable, true);
    assert.equal(new CozeError({ kind: 'network', msg: '' }).retriable, true);
    assert.equal(new CozeError({ code: 4100, msg: '' }).retriable, false);
    assert.equal(new CozeError({ code: 4008, msg: '' }).retriable, false);
    assert.equal(new CozeError({ kind: 'failed', code: 5000, msg: '' }).retriable, true);
    assert.equal(new CozeError({ kind: 'failed', code: 4010, msg: '' }).retriable, false);
  });

  it('describes what to do', () => {
    assert.match(
      describeCozeError(new CozeError({ code: 4100, msg: 'authentication is invalid', logid: 'L1' })),
      /expired.*coze\.cn.*coze\.com.*L1/s,
    );
    assert.match(describeCozeError(new CozeError({ code: 4015, msg: '' })), /publish/i);
    assert.match(describeCozeError(new CozeError({ code: 4101, msg: '' })), /permission/);
    assert.match(describeCozeError(new Error('boom')), /boom/);
  });

  it('reads envelopes defensively', () => {
    assert.deepEqual(
      readEnvelope(200, '{"code":0,"msg":"","data":{"id":7382159487131697202}}', undefined).data,
      { id: '7382159487131697202' },
    );
    assert.throws(
      () => readEnvelope(200, '{"code":4101,"msg":"no","detail":{"logid":"X"}}', undefined),
      (e: unknown) => e instanceof CozeError && e.kind === 'permission' && e.logid === 'X',
    );
    assert.throws(
      () => readEnvelope(502, '<html><title>502 Bad Gateway</title></html>', 'L'),
      (e: unknown) => e instanceof CozeError && e.kind === 'server' && e.msg === '502 Bad Gateway',
    );
    assert.throws(
      () => readEnvelope(200, 'not json', undefined),
      (e: unknown) => e instanceof CozeError && e.kind === 'other',
    );
    assert.throws(
      () => readEnvelope(400, '{"error_code":4000,"error_message":"bad"}', undefined),
      (e: unknown) => e instanceof CozeError && e.code === 4000 && e.msg === 'bad',
    );
  });
});

test('throttling: 4013/4019/4020/4028 (in a body or as a chat last_error) and HTTP 429, nothing else', () => {
  for (const code of [4013, 4019, 4020, 4028])
    assert.equal(isThrottling(new CozeError({ code, msg: 'busy' })), true, String(code));
  assert.equal(
    isThrottling(new CozeError({ code: 4013, msg: 'x', kind: 'failed' })),
    true,
    'chat.failed 4013',
  );
  assert.equal(isThrottling(new CozeError({ msg: 'Too Many Requests', httpStatus: 429 })), true);
  for (const code of [4000, 4008, 4011, 4016, 4100, 5000])
    assert.equal(isThrottling(new CozeError({ code, msg: 'x' })), false, String(code));
  assert.equal(isThrottling(new CozeError({ msg: 'x', httpStatus: 503 })), false);
  assert.equal(isThrottling(new Error('4013')), false);
});
