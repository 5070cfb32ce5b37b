import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeErrcode,
  isAlreadyHanded,
  isTokenErrcode,
  undeliverableReason,
  WecomApiError,
  wecomErrcodeOf,
  WecomTransportError,
} from '../../src/wecom/errors.js';

test('one table: the codes that make a reply undeliverable each say why, and every one has a meaning', () => {
  const undeliverable = [95001, 95002, 95013, 95018, 95031, 40096, 95000, 95004];
  for (const code of undeliverable) {
    assert.ok(undeliverableReason(code), `${code} is undeliverable`);
    assert.doesNotMatch(describeErrcode(code), /unknown WeCom error/);
  }
  assert.equal(undeliverableReason(95001), 'the 5-messages-per-customer-message quota is used up');
  // Worth another try (or handled elsewhere): not undeliverable.
  for (const code of [-1, 40014, 45009, 95044, 12345])
    assert.equal(undeliverableReason(code), undefined, String(code));
});

test('token refusals and "already handed" come from the same table', () => {
  assert.deepEqual([40014, 42001, 41001, 40001].map(isTokenErrcode), [true, true, true, false]);
  assert.deepEqual([95016, 95013, 95018].map(isAlreadyHanded), [true, true, false]);
});

test('only a WeCom refusal carries an errcode; a transport failure or a plain error does not', () => {
  assert.equal(wecomErrcodeOf(new WecomApiError('kf/send_msg', 95018, 'invalid state')), 95018);
  assert.equal(
    wecomErrcodeOf(new WecomTransportError('kf/send_msg', 'busy', 'errcode -1 (busy)')),
    undefined,
  );
  assert.equal(wecomErrcodeOf(Object.assign(new Error('x'), { errcode: 95018 })), undefined);
});
