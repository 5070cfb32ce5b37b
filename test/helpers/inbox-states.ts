import type { Store } from '../../src/store/types.js';

/** Every message in the inbox by state, the states with none left out (e.g. `{ done: 2 }`). */
export async function inboxStates(store: Pick<Store, 'countSince'>): Promise<Record<string, number>> {
  const all = await store.countSince(0);
  return Object.fromEntries(Object.entries(all).filter(([, n]) => n > 0));
}
