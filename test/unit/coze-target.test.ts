import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatTargetOf, namesTarget } from '../../src/coze/target.js';
import { targetOf } from '../../src/pipeline/plan-reply.js';

test('one rule for the Coze target: the bot wins, else the chatflow in its app', () => {
  assert.deepEqual(chatTargetOf({ botId: '7379462189365198898' }), {
    kind: 'bot',
    botId: '7379462189365198898',
  });
  assert.deepEqual(chatTargetOf({ workflowId: '7440000000000000001', appId: '7440000000000000002' }), {
    kind: 'chatflow',
    workflowId: '7440000000000000001',
    appId: '7440000000000000002',
  });
  assert.deepEqual(chatTargetOf({ workflowId: '7440000000000000001' }), {
    kind: 'chatflow',
    workflowId: '7440000000000000001',
  });
});

test("an account's own bot or chatflow replaces the default; an account naming neither keeps the default", () => {
  const fallback = chatTargetOf({ botId: '111111' });
  assert.deepEqual(targetOf({ workflowId: '222222' } as never, fallback), {
    kind: 'chatflow',
    workflowId: '222222',
  });
  assert.deepEqual(targetOf({ botId: '333333' } as never, fallback), { kind: 'bot', botId: '333333' });
  assert.equal(targetOf({} as never, fallback), fallback);
  assert.equal(namesTarget({ appId: '444444' }), false);
});
