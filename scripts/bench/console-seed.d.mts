import type { SqlStore } from '../../src/store/sql/sql-store.js';

/** See console-seed.mjs: realistic console data committed through the store. */
export function seedConsole(
  store: SqlStore,
  o?: {
    messages?: number;
    customers?: number;
    days?: number;
    accounts?: string[];
    now?: number;
    pageSize?: number;
    seed?: number;
  },
): Promise<{ messages: number; customers: number; accounts: string[]; from: number; to: number }>;
