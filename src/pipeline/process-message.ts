import type { Logger } from '../log/logger.js';
import type { InboxItem } from '../store/types.js';
import { backoffMs } from '../util/backoff.js';
import { planReply, type PlanDeps } from './plan-reply.js';
import { sendReply, type Speak } from './send-reply.js';
import { voiceMessage, type VoiceReplyDeps } from './voice-reply.js';

/** Rows an operator wrote in the console (`op_<id>`): no customer waited on Coze for them. */
const OPERATOR_ORIGIN = 0;

export interface ProcessDeps extends PlanDeps {
  /** Image links in answers may point at private addresses (WXCOZE_ALLOW_PRIVATE_URLS). */
  allowPrivateUrls: boolean;
}

/**
 * Takes one leased message through its states: received → answered (the reply stored before
 * anything is sent) → sending → done. A message already answered is never sent to Coze again;
 * a part already marked sent is never sent again.
 */
export async function processMessage(
  item: InboxItem,
  deps: ProcessDeps,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { store, owner } = deps;

  let justStored = false;
  let usedAtPlan: number | undefined;
  if (item.state === 'received') {
    const plan = await planReply(item, deps, log, signal);
    const now = Date.now();
    switch (plan.kind) {
      case 'aborted':
        return; // shutdown: the dispatcher gives the lease back; nothing was stored
      case 'defer':
        log.warn({ err: { message: plan.reason } }, 'could not prepare the message; will retry');
        await store.deferRetry(
          item.msgid,
          owner,
          now + backoffMs(item.attempts, { baseMs: deps.retryBaseMs, capMs: 60_000 }),
          plan.reason,
          now,
        );
        return;
      case 'finish':
        await store.finish(item.msgid, owner, plan.state, plan.note, now);
        log.info({ state: plan.state, note: plan.note }, 'message finished without a reply');
        return;
      case 'reply':
        // Stored as `sending`: the reply goes out right below, so the write that stores it also marks
        // the moment it starts going out (one statement and one commit, not two).
        if (
          !(await store.saveAnswer(
            item.msgid,
            owner,
            plan.parts,
            plan.note,
            now,
            plan.apology === true,
            true,
          ))
        ) {
          const cur = await store.get(item.msgid);
          log.warn(
            { state: cur?.state },
            cur?.state === 'cancelled'
              ? `not answered: ${cur.note ?? 'cancelled'}`
              : 'lease lost before the answer was stored; another worker has it',
          );
          return;
        }
        item = {
          ...item,
          state: 'sending',
          parts: plan.parts,
          partsSent: 0,
          note: plan.note,
          apologized: plan.apology === true,
        };
        log.debug({ parts: plan.parts.length, kinds: plan.parts.map((p) => p.kind) }, 'answer stored');
        justStored = true;
        usedAtPlan = plan.budgetUsed;
    }
  }

  const outcome = await sendReply(
    item,
    {
      wecom: deps.wecom,
      store,
      owner,
      allowPrivateUrls: deps.allowPrivateUrls,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.voice
        ? { speak: speakWith({ coze: deps.coze, voice: deps.voice, wecom: deps.wecom }, log) }
        : {}),
    },
    log,
    signal,
    justStored,
    usedAtPlan,
  );
  const now = Date.now();
  // An apology is delivered like any answer, but the message counts as failed (the inbox's flag,
  // stored with the answer by saveAnswer).
  const apologised = item.apologized;
  switch (outcome.status) {
    case 'done': {
      const state = apologised ? 'failed' : 'done';
      // Usually finished already, by the write that marked the last part sent.
      if (!outcome.finished)
        await store.finish(
          item.msgid,
          owner,
          state,
          apologised ? item.note : (outcome.note ?? item.note),
          now,
        );
      log.info({ state, parts: item.parts?.length ?? 0 }, 'message finished');
      // End to end, for a customer's message answered (not an operator's reply, not the apology).
      if (state === 'done' && item.origin !== OPERATOR_ORIGIN && item.sendTime > 0)
        deps.metrics?.observe('answer_seconds', Math.max(0, now / 1000 - item.sendTime));
      break;
    }
    case 'undeliverable':
      await store.finish(item.msgid, owner, 'failed', outcome.note, now);
      log.warn({ note: outcome.note }, 'message failed: reply undeliverable');
      break;
    case 'retry':
      await store.deferRetry(
        item.msgid,
        owner,
        now + backoffMs(Math.max(1, item.attempts), { baseMs: deps.retryBaseMs, capMs: 60_000 }),
        outcome.note,
        now,
      );
      break;
    case 'cancelled':
      log.info(
        'cancelled before the reply went out (recalled by the customer, or an operator took the chat over)',
      );
      break;
    case 'lost-lease':
      log.warn('lease lost while sending; another worker continues from the last part marked sent');
      break;
  }
}

/** The voice maker sendReply uses for voice parts. */
function speakWith(deps: VoiceReplyDeps, log: Logger): Speak {
  return (part, signal) => voiceMessage(part, deps, log, signal);
}
