/**
 * When an alert starts and ends (src/ops/alerts/state.ts): a condition fires only after holding
 * for its hold time, resolves only after being seen clear for the clear hold, and a round that
 * could not tell changes nothing. What the channel is owed follows from the state and what was sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertRow } from '../../src/store/alert-types.js';
import { decide, dueMessage } from '../../src/ops/alerts/state.js';

type Row = Pick<AlertRow, 'state' | 'since' | 'clearSince'>;
const ok: Row = { state: 'ok', since: 0, clearSince: 0 };

/** Plays observations at the given times through decide, as the evaluator writes them. */
function play(obs: [number, boolean | undefined][], holdMs: number, clearHoldMs: number) {
  let row: Row = ok;
  const edges: [number, string][] = [];
  for (const [now, active] of obs) {
    const d = decide(row, active, now, holdMs, clearHoldMs);
    if (!d) continue;
    row = d.change;
    if (d.edge) edges.push([now, d.edge]);
  }
  return { row, edges };
}

test('a condition fires once it has held for its hold time, not before', () => {
  const { edges } = play(
    [
      [0, true],
      [30, true],
      [59, true],
      [60, true],
      [90, true],
    ],
    60,
    20,
  );
  assert.deepEqual(edges, [[60, 'fires']]);
});

test('a blip shorter than the hold never fires, and the hold starts again after it', () => {
  const { edges, row } = play(
    [
      [0, true],
      [50, false],
      [60, true],
      [100, true],
    ],
    60,
    20,
  );
  assert.deepEqual(edges, []);
  assert.equal(row.state, 'pending');
  assert.equal(row.since, 60);
});

test('hold 0 fires at the first sight', () => {
  assert.deepEqual(play([[5, true]], 0, 20).edges, [[5, 'fires']]);
});

test('a firing alert resolves only after being seen clear for the clear hold; one clear sight between active ones does not end it', () => {
  const { edges } = play(
    [
      [0, true],
      [10, false],
      [20, true],
      [30, false],
      [45, false],
      [50, false],
    ],
    0,
    20,
  );
  assert.deepEqual(edges, [
    [0, 'fires'],
    [50, 'resolves'],
  ]);
});

test('a round that could not tell (undefined) changes nothing, whatever the state', () => {
  for (const state of ['ok', 'pending', 'firing'] as const)
    assert.equal(decide({ state, since: 1, clearSince: 0 }, undefined, 100, 10, 10), null);
});

test('the resolved row keeps when the episode began and when it cleared (for "lasted" in the recovery)', () => {
  const d = decide({ state: 'firing', since: 100, clearSince: 400 }, false, 500, 0, 50);
  assert.deepEqual(d, { change: { state: 'ok', since: 100, clearSince: 400 }, edge: 'resolves' });
});

test('the channel is owed the firing once, the recovery once, and nothing for a flap it never heard of', () => {
  assert.equal(dueMessage({ state: 'firing', sent: 'resolved' }), 'firing');
  assert.equal(dueMessage({ state: 'firing', sent: 'firing' }), null);
  assert.equal(dueMessage({ state: 'ok', sent: 'firing' }), 'resolved');
  assert.equal(dueMessage({ state: 'pending', sent: 'firing' }), 'resolved');
  assert.equal(dueMessage({ state: 'ok', sent: 'resolved' }), null);
  assert.equal(dueMessage({ state: 'pending', sent: 'resolved' }), null);
});
