import type { Logger } from '../log/logger.js';
import type { Store, StoredConversation } from '../store/types.js';
import { backoffMs, sleep } from '../util/backoff.js';
import { CozeError, type EnterMessage, type CozePort, type ChatTarget } from './ports.js';

export interface AskOptions {
  coze: CozePort;
  store: Store;
  target: ChatTarget;
  maxAttempts: number;
  retryBaseMs: number;
  /** The Coze credential `coze` speaks as ('token', 'oauth:<app id>'; authIdentity in ports.ts). */
  cozeAuth: string;
}

export type AskResult =
  { ok: true; text: string; followUps: string[] } | { ok: false; reason: string; retriable: boolean };

/** How many times a conversation still busy with an older chat (4016) is waited out before a new one is opened. */
const MAX_BUSY_WAITS = 6;

export function botKeyOf(target: ChatTarget): string {
  return target.kind === 'bot' ? `bot:${target.botId}` : `flow:${target.workflowId}`;
}

/**
 * Asks Coze for the answer to one customer message, in the customer's own conversation.
 * Retries what can pass (5xx, timeouts, rate limits) with backoff; a conversation that Coze lost
 * is recreated; a conversation still running an older chat (after a restart, say) gets that chat
 * cancelled, then is waited out. Returns the reason instead of throwing when the budget is spent.
 */
export async function askCoze(
  o: AskOptions,
  job: {
    msgid: string;
    userId: string;
    messages: EnterMessage[];
    previousChat?: { conversationId: string | null; chatId: string | null };
    /** The conversation as read with the user (null: none), for the first attempt; absent: read here. */
    conversation?: StoredConversation | null;
  },
  log: Logger,
  signal: AbortSignal,
): Promise<AskResult> {
  const botKey = botKeyOf(o.target);
  let attempt = 0;
  let busyWaits = 0;
  let recreated = false;
  let lastReason = 'no attempt made';
  let known = job.conversation;
  while (attempt < o.maxAttempts && !signal.aborted) {
    // Read with the user for the first attempt; after it, an attempt may have changed it.
    const stored =
      known !== undefined ? (known ?? undefined) : await o.store.conversationOf(job.userId, botKey);
    known = undefined;
    const conversationId = stored?.conversationId;
    // Made with another Coze credential (wxcoze switched between the token and the OAuth app): Coze
    // may or may not let this one in (docs/protocol.md §coze-oauth-conversations). It is tried; kept if
    // it answers, replaced quietly if Coze says it is not ours.
    const madeWith = stored && stored.cozeAuth !== o.cozeAuth ? stored.cozeAuth : undefined;
    // A new customer's first chat goes without a conversation: Coze makes one for it and names it in
    // the chat's first event (docs/protocol.md §coze-implicit-conversation), which is stored then.
    // One call and one round trip to Coze fewer than creating it first, for every new customer.
    // The latest one named is what is stored: a chat Coze refused for load after making its
    // conversation is sent again by the limiter (limited-coze.ts), which makes another, and the answer
    // is in that one. Saves run one after another, so the last named is the one left.
    let saving: Promise<void> | undefined;
    let savedId: string | undefined;
    const saveStarted = (started: string) => {
      if (started === savedId) return;
      savedId = started;
      saving = (saving ?? Promise.resolve()).then(() =>
        o.store
          .setConversation(job.userId, botKey, started, Date.now(), o.cozeAuth)
          .catch((err: unknown) =>
            log.warn(
              { conversationId: started, err: { message: (err as Error).message } },
              "could not save the customer's new Coze conversation; their next message starts another (check the database with `wxcoze doctor`)",
            ),
          ),
      );
    };
    try {
      const res = await o.coze.chat({
        target: o.target,
        userId: job.userId,
        conversationId,
        messages: job.messages,
        signal,
        onEvent: (e) => {
          if (e.type !== 'chat.created' || !e.chatId || !e.conversationId) return;
          // Remember the running chat: after a crash, it is the one to cancel on 4016. Not awaited (the
          // stream goes on), so a database error is caught here: losing this note only costs a wait on 4016.
          const { chatId, conversationId: started } = e;
          const failed = (err: unknown) =>
            log.warn(
              { chatId, err: { message: (err as Error).message } },
              'could not save the running Coze chat; the answer goes on (check the database with `wxcoze doctor`)',
            );
          (async () => o.store.setChatRef(job.msgid, started, chatId))().catch(failed);
          if (!conversationId) saveStarted(started);
        },
      });
      if (!conversationId) {
        // Stored before the answer goes on, so the customer's next message continues this conversation.
        if (res.conversationId) saveStarted(res.conversationId);
        await saving;
        log.info({ conversationId: res.conversationId }, 'coze conversation created');
      }
      if (madeWith && conversationId) {
        // This credential reaches it too: from now on it is this credential's.
        await o.store.setConversation(job.userId, botKey, conversationId, Date.now(), o.cozeAuth);
        log.info(
          { conversationId, madeWith, now: o.cozeAuth },
          'coze conversation made with the previous credential is reachable: kept',
        );
      }
      log.info(
        { attempt: attempt + 1, chatId: res.chatId, answerBytes: Buffer.byteLength(res.text) },
        'coze answered',
      );
      log.debug({ answer: res.text }, 'coze answer text');
      if (!res.text.trim()) return { ok: false, reason: 'Coze returned an empty answer', retriable: false };
      return { ok: true, text: res.text, followUps: res.followUps ?? [] };
    } catch (err) {
      // A conversation Coze made before failing is the one the next attempt continues.
      await saving;
      if (signal.aborted) break;
      // Only a CozeError says what kind of failure it was; anything else is not retried.
      const e =
        err instanceof CozeError
          ? err
          : { kind: undefined, code: undefined, message: (err as Error).message, retriable: false };
      lastReason = `coze ${e.kind ?? 'error'}${e.code ? ` ${e.code}` : ''}: ${e.message}`;
      if (madeWith && !recreated && (e.kind === 'conversation_gone' || e.kind === 'permission')) {
        recreated = true;
        await o.store.clearConversation(job.userId, botKey);
        log.info(
          { conversationId, madeWith, now: o.cozeAuth, code: e.code },
          'coze conversation made with the previous credential is out of reach of this one; starting a new one',
        );
        continue;
      }
      if (e.kind === 'conversation_gone' && !recreated) {
        recreated = true;
        await o.store.clearConversation(job.userId, botKey);
        log.warn({ conversationId }, 'coze conversation gone; starting a new one');
        continue;
      }
      if (e.kind === 'chat_running' && conversationId) {
        const prev = job.previousChat;
        if (prev?.chatId && prev.conversationId === conversationId) {
          log.warn({ chatId: prev.chatId }, 'coze conversation busy with our earlier chat; cancelling it');
          await o.coze.cancelChat(conversationId, prev.chatId).catch(() => {});
          job.previousChat = undefined;
          continue;
        }
        busyWaits += 1;
        if (busyWaits > MAX_BUSY_WAITS) {
          log.warn({ conversationId }, 'coze conversation stayed busy; starting a new one');
          await o.store.clearConversation(job.userId, botKey);
          busyWaits = 0;
          continue;
        }
        await sleep(backoffMs(busyWaits, { baseMs: o.retryBaseMs, capMs: 10_000 }), signal);
        continue;
      }
      attempt += 1;
      if (!e.retriable) {
        log.error(
          { err: { kind: e.kind, code: e.code, message: e.message } },
          'coze refused the chat; not retrying (run `wxcoze doctor`)',
        );
        return { ok: false, reason: lastReason, retriable: false };
      }
      log.warn(
        { attempt, err: { kind: e.kind, code: e.code, message: e.message } },
        'coze call failed; retrying',
      );
      if (attempt < o.maxAttempts)
        await sleep(backoffMs(attempt, { baseMs: o.retryBaseMs, capMs: 30_000 }), signal);
    }
  }
  return { ok: false, reason: signal.aborted ? 'aborted' : lastReason, retriable: true };
}
