import type { Logger } from '../log/logger.js';
import type { InboxItem, Store } from '../store/types.js';
import { askCoze } from './ask-coze.js';
import { backoffMs } from './backoff.js';
import { toCozeInput } from './inbound.js';
import type { CozePort, CozeTarget, WecomPort } from './ports.js';
import { composeReply } from './reply.js';
import { sendReply, WECOM_PARTS_PER_CUSTOMER_MESSAGE } from './send-reply.js';

export interface ProcessDeps {
  store: Store;
  wecom: WecomPort;
  coze: CozePort;
  target: CozeTarget;
  owner: string;
  maxAttempts: number;
  /** Claims of one message after which it is given up (a message that keeps crashing its worker). */
  maxClaims: number;
  retryBaseMs: number;
  maxParts: number;
  apologyText: string;
  unsupportedText: string;
}

/**
 * Takes one leased message through its states: received → answered (the answer stored before
 * anything is sent) → sending → done. A message already answered is never sent to Coze again;
 * a part already marked sent is never sent again.
 */
export async function processMessage(item: InboxItem, deps: ProcessDeps, log: Logger, signal: AbortSignal): Promise<void> {
  const { store, owner } = deps;

  if (item.state === 'received') {
    let text: string;
    let failedNote: string | null = null;
    if (item.attempts > deps.maxClaims) {
      failedNote = `gave up after ${item.attempts - 1} interrupted attempts`;
      text = deps.apologyText;
    } else {
      const input = await toCozeInput(item.payload, deps).catch((err: Error) => ({ kind: 'error' as const, reason: err.message }));
      if (input.kind === 'unsupported') {
        log.info({ reason: input.reason }, 'message type not sent to Coze; sending the polite fallback');
        text = deps.unsupportedText;
      } else if (input.kind === 'error') {
        // Fetching the customer's media failed: transient (WeCom down) → try again later.
        log.warn({ err: { message: input.reason } }, 'could not prepare the message for Coze; will retry');
        await store.deferRetry(item.msgid, owner, Date.now() + backoffMs(item.attempts, deps.retryBaseMs, 60_000), input.reason, Date.now());
        return;
      } else {
        const userId = await store.resolveUser('wecom', item.externalUserId, Date.now());
        const res = await askCoze(
          { coze: deps.coze, store, target: deps.target, maxAttempts: deps.maxAttempts, retryBaseMs: deps.retryBaseMs },
          { msgid: item.msgid, userId, messages: input.messages, previousChat: { conversationId: item.cozeConversationId, chatId: item.cozeChatId } },
          log.child({ userId }),
          signal,
        );
        if (signal.aborted) return; // shutdown: the lease is released by the dispatcher, nothing stored
        if (res.ok) text = res.text;
        else { failedNote = res.reason; text = deps.apologyText; log.warn({ reason: res.reason }, 'Coze retry budget spent; sending the apology'); }
      }
    }
    const since = (await store.lastCustomerMessageAt(item.openKfId, item.externalUserId)) ?? 0;
    const left = WECOM_PARTS_PER_CUSTOMER_MESSAGE - (await store.sentSince(item.openKfId, item.externalUserId, since));
    const parts = composeReply(text, Math.max(1, Math.min(deps.maxParts, left)));
    const note = failedNote ? `failed: ${failedNote}` : null;
    if (!(await store.saveAnswer(item.msgid, owner, parts, note, Date.now()))) { log.warn('lease lost before the answer was stored; another worker has it'); return; }
    item = { ...item, state: 'answered', parts, partsSent: 0, note };
    log.info({ parts: parts.length }, 'answer stored');
  }

  const outcome = await sendReply(item, { wecom: deps.wecom, store, owner }, log, signal);
  const now = Date.now();
  // An apology is delivered like any answer, but the message counts as failed.
  const apologised = item.note?.startsWith('failed:') ?? false;
  switch (outcome.status) {
    case 'done': {
      const state = apologised ? 'failed' : 'done';
      await store.finish(item.msgid, owner, state, apologised ? item.note : outcome.note, now);
      log.info({ state }, 'message finished');
      break;
    }
    case 'undeliverable':
      await store.finish(item.msgid, owner, 'failed', outcome.note, now);
      log.warn({ note: outcome.note }, 'message failed: reply undeliverable');
      break;
    case 'retry':
      await store.deferRetry(item.msgid, owner, now + backoffMs(Math.max(1, item.attempts), deps.retryBaseMs, 60_000), outcome.note, now);
      break;
    case 'lost-lease':
      log.warn('lease lost while sending; another worker continues from the last part marked sent');
      break;
  }
}
