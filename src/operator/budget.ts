import type { CustomerBudgetFacts } from '../store/console-types.js';
import { SESSION_MAX_MS } from '../pipeline/customer-mode.js';
import { WECOM_PARTS_PER_CUSTOMER_MESSAGE } from '../pipeline/send-reply.js';

/** What an operator may still send to one customer (WeCom's rule, docs/protocol.md §send_msg). */
export interface Budget {
  /** Messages sent since the customer's latest message, and operator replies waiting to go. */
  used: number;
  /** Of the 5 messages allowed per customer message; 0 when the window is closed. */
  left: number;
  /** The customer's latest message (ms), or null: they never wrote, nothing may be sent. */
  lastCustomerAt: number | null;
  /** When the 48-hour reply window closes (ms), or null. */
  windowClosesAt: number | null;
  windowOpen: boolean;
}

export function budgetOf(facts: CustomerBudgetFacts, now: number): Budget {
  const used = facts.used + facts.pendingReplies;
  const windowClosesAt = facts.lastCustomerAt === null ? null : facts.lastCustomerAt + SESSION_MAX_MS;
  const windowOpen = windowClosesAt !== null && now < windowClosesAt;
  return {
    used,
    left: windowOpen ? Math.max(0, WECOM_PARTS_PER_CUSTOMER_MESSAGE - used) : 0,
    lastCustomerAt: facts.lastCustomerAt,
    windowClosesAt,
    windowOpen,
  };
}
