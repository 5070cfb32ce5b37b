import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CozeLimiter, type LimitChange, type Slot } from '../../src/pipeline/coze-limiter.js';

/** A limiter on a hand-moved clock; `random` 1 makes each pause its full ceiling. */
function make(o: { initial: number; floor?: number; ceiling: number }) {
  let t = 1_000_000;
  const changes: LimitChange[] = [];
  const limiter = new CozeLimiter({
    initial: o.initial,
    floor: o.floor ?? 1,
    ceiling: o.ceiling,
    pauseBaseMs: 1000,
    pauseCapMs: 8000,
    now: () => t,
    random: () => 1,
    onChange: (c) => changes.push(c),
  });
  return {
    limiter,
    changes,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Asks for n slots; returns the ones granted at once and the promises still waiting. */
async function ask(limiter: CozeLimiter, n: number) {
  const granted: Slot[] = [];
  const all = Array.from({ length: n }, () => limiter.acquire().then((s) => (granted.push(s), s)));
  await new Promise((r) => setImmediate(r));
  return { granted, all };
}

test('no more slots than the limit are handed out; a released slot goes to the first in line', async () => {
  const { limiter } = make({ initial: 2, ceiling: 2 });
  const { granted } = await ask(limiter, 3);
  assert.equal(granted.length, 2);
  assert.equal(limiter.waiting, 1);
  granted[0]!.release('failed');
  await new Promise((r) => setImmediate(r));
  assert.equal(granted.length, 3);
  assert.equal(limiter.inFlight, 2);
});

test('each accepted chat raises the limit by one while callers wait, never above the ceiling', async () => {
  const { limiter, changes } = make({ initial: 2, ceiling: 4 });
  const { granted } = await ask(limiter, 10);
  for (const s of granted.slice(0, 2)) s.accepted();
  await new Promise((r) => setImmediate(r));
  assert.equal(limiter.limit, 4);
  assert.equal(limiter.inFlight, 4, 'the raised limit lets two more start');
  for (const s of granted) s.accepted();
  assert.equal(limiter.limit, 4, 'capped at the ceiling');
  assert.deepEqual(
    changes.map((c) => [c.direction, c.to]),
    [
      ['raised', 3],
      ['raised', 4],
    ],
  );
});

test('an accepted chat does not raise a limit nobody is waiting for', async () => {
  const { limiter } = make({ initial: 4, ceiling: 100 });
  const { granted } = await ask(limiter, 1);
  granted[0]!.accepted();
  granted[0]!.release('done');
  assert.equal(limiter.limit, 4);
});

test('throttling halves what was in flight, pauses every start, and the pause grows while it lasts', async () => {
  const { limiter, changes, advance } = make({ initial: 8, ceiling: 8 });
  const first = await ask(limiter, 8);
  assert.equal(first.granted.length, 8);
  // One refusal: 8 in flight → limit 4, and nobody starts for the pause (1 s with random 1).
  first.granted[0]!.release('throttled');
  assert.equal(limiter.limit, 4);
  assert.deepEqual(changes.at(-1), { from: 8, to: 4, direction: 'lowered', pauseMs: 1000 });
  // Refusals of chats started before that decrease are the same overload: no second halving.
  first.granted[1]!.release('throttled');
  first.granted[2]!.release('throttled');
  assert.equal(limiter.limit, 4);
  for (const s of first.granted.slice(3)) s.release('done');
  const later = await ask(limiter, 1);
  assert.equal(later.granted.length, 0, 'paused: nothing starts although slots are free');
  advance(1000);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(later.granted.length, 1, 'starts once the pause is over');
  // Refused again (a slot taken after the decrease): halved again, and a longer pause (2 s).
  later.granted[0]!.release('throttled');
  assert.equal(limiter.limit, 1, 'floor(min(4, 1 in flight) / 2) is 0: held at the floor');
  assert.equal(changes.at(-1)!.pauseMs, 2000);
});

test('never below the floor; after throttling ends the limit grows back with accepted chats', async () => {
  const { limiter, advance } = make({ initial: 4, floor: 2, ceiling: 6 });
  const a = await ask(limiter, 4);
  a.granted[0]!.release('throttled');
  assert.equal(limiter.limit, 2);
  for (const s of a.granted.slice(1)) s.release('done');
  advance(1000);
  const b = await ask(limiter, 20);
  assert.equal(b.granted.length, 2);
  // Coze accepts again: each acceptance raises the limit while callers wait, back to the ceiling.
  for (let round = 0; round < 6; round++) {
    for (const s of [...b.granted]) s.accepted();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(limiter.limit, 6);
});

test('a waiter whose signal aborts leaves the line with an AbortError', async () => {
  const { limiter } = make({ initial: 1, ceiling: 1 });
  await limiter.acquire();
  const ac = new AbortController();
  const waiting = limiter.acquire(ac.signal);
  assert.equal(limiter.waiting, 1);
  ac.abort();
  await assert.rejects(waiting, { name: 'AbortError' });
  assert.equal(limiter.waiting, 0);
});

test('a throttled chat asked again with `first` goes ahead of the line', async () => {
  const { limiter } = make({ initial: 1, ceiling: 1 });
  const held = await limiter.acquire();
  const order: string[] = [];
  const late = limiter.acquire().then((s) => (order.push('late'), s));
  const retry = limiter.acquire(undefined, true).then((s) => (order.push('retry'), s));
  held.release('done');
  (await retry).release('done');
  await late;
  assert.deepEqual(order, ['retry', 'late']);
});
