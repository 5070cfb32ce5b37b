import {
  inQuietHours,
  settingsFor,
  type ServiceConfig,
  type ServiceSettings,
} from '../config/service-settings.js';
import type { PipelineMetrics } from './metric-events.js';
import type { Logger } from '../log/logger.js';
import type { CustomerWithUser, InboxItem, ReplyPart, Store } from '../store/types.js';
import type { KfMessage } from '../wecom/types.js';
import { askCoze, botKeyOf } from './ask-coze.js';
import { consoleHolds, humanHolds, isConsoleMode } from './customer-mode.js';
import { toCozeInput } from './inbound.js';
import {
  chatTargetOf,
  namesTarget,
  type ChatTarget,
  type CozePort,
  type VoicePort,
  type WecomPort,
} from './ports.js';
import { composeReply } from './reply.js';
import { WECOM_PARTS_PER_CUSTOMER_MESSAGE } from './send-reply.js';
import { speakable } from './voice-reply.js';
import { planSessionEnd } from './survey.js';
import { WaitNotice } from './wait-notice.js';

export interface PlanDeps {
  store: Store;
  wecom: WecomPort;
  coze: CozePort;
  /** Voice conversion (ffmpeg); absent: only voice Coze takes as it is is transcribed. */
  voice?: VoicePort;
  defaultTarget: ChatTarget;
  service: ServiceConfig;
  maxAttempts: number;
  /** The Coze credential the pipeline speaks as ('token', 'oauth:<app id>'): conversations belong to it. */
  cozeAuth: string;
  maxClaims: number;
  /** This worker's lease owner (the waiting notice goes out only while the message is ours). */
  owner: string;
  retryBaseMs: number;
  maxParts: number;
  apologyText: string;
  unsupportedText: string;
  /** Counts for /metrics (Coze's part of an answer, handoffs, budget refusals). */
  metrics?: PipelineMetrics;
}

/** What to do with a received message. */
export type Plan =
  /**
   * `apology`: the reply is the apology: delivered, the message still ends `failed`. `budgetUsed`:
   * the customer's budget used, as read for this plan after the waiting notice was done (so the
   * first part need not read it again).
   */
  | { kind: 'reply'; parts: ReplyPart[]; note: string | null; apology?: true; budgetUsed?: number }
  /** Nothing is sent; the message ends in `state` with `note`. */
  | { kind: 'finish'; state: 'skipped' | 'failed'; note: string }
  | { kind: 'defer'; reason: string }
  | { kind: 'aborted' };

/** A welcome code is valid for 20 s after enter_session (send_msg_on_event). */
export const WELCOME_VALIDITY_MS = 20_000;

/** The account's own bot or chatflow, else the default one. */
export function targetOf(settings: ServiceSettings, fallback: ChatTarget): ChatTarget {
  return namesTarget(settings) ? chatTargetOf(settings) : fallback;
}

/** The handoff text, then the handoff itself: to the console's queue, or to WeCom's servicers. */
function handoffParts(settings: ServiceSettings): ReplyPart[] {
  return [
    { kind: 'text', content: settings.handoffText },
    settings.handoffTo === 'console'
      ? { kind: 'handoff', content: '', to: 'console' }
      : {
          kind: 'handoff',
          content: '',
          ...(settings.handoffServicer ? { servicer: settings.handoffServicer } : {}),
        },
  ];
}

/**
 * Parts this message may still use of WeCom's 5 messages after the customer's latest message,
 * leaving one for each later message of the customer still waiting for its answer: two quick
 * questions both get answered, rather than the first answer taking the whole budget.
 */
async function budgetLeft(
  store: Store,
  item: InboxItem,
  maxParts: number,
): Promise<{ left: number; used: number }> {
  const { used, waiting } = await store.budgetAndWaiting(item.openKfId, item.externalUserId, item.seq);
  return { left: Math.max(1, Math.min(maxParts, WECOM_PARTS_PER_CUSTOMER_MESSAGE - used - waiting)), used };
}

/**
 * Decides the reply to one received message, in the order a business expects: a welcome for a
 * customer entering; silence while a human serves; the quiet-hours notice; `/reset`; handoff
 * words; then Coze (whose answer may ask for a human with the marker, and may bring follow-up
 * suggestions for a menu). Notices (quiet hours, Coze unreachable) go to a customer once per
 * interval, not once per message.
 */
export async function planReply(
  item: InboxItem,
  d: PlanDeps,
  log: Logger,
  signal: AbortSignal,
): Promise<Plan> {
  const { store, service } = d;
  const settings = settingsFor(service, item.openKfId);
  const now = Date.now();

  if (item.msgtype === 'event') {
    const ev = (item.payload as { event?: Record<string, unknown> }).event ?? {};
    if (ev.event_type === 'session_status_change')
      return planSessionEnd(item, settings, service, { store, owner: d.owner }, log, now);
    if (ev.event_type !== 'enter_session' || typeof ev.welcome_code !== 'string')
      return { kind: 'finish', state: 'skipped', note: 'event' };
    if (!settings.welcomeText) return { kind: 'finish', state: 'skipped', note: 'no welcome configured' };
    const age = now - item.sendTime * 1000;
    if (age > WELCOME_VALIDITY_MS) {
      log.warn({ ageMs: age }, 'welcome came too late: its code is valid for 20 s; not sent');
      return {
        kind: 'finish',
        state: 'skipped',
        note: `welcome too late (${Math.round(age / 1000)} s after entering)`,
      };
    }
    return {
      kind: 'reply',
      parts: [
        {
          kind: 'welcome',
          content: settings.welcomeText,
          code: ev.welcome_code,
          buttons: settings.welcomeMenu.slice(0, 10),
        },
      ],
      note: null,
    };
  }

  const target = targetOf(settings, d.defaultTarget);
  // Who serves the session, and the customer's user and conversation for Coze, in one read.
  const { customer, user } = await store.customerWithUser(
    item.openKfId,
    item.externalUserId,
    'wecom',
    botKeyOf(target),
  );
  // A human has the session from the change on; a kf session lasts at most 48 h, so an old
  // handoff whose end we never saw does not silence the AI forever.
  if (humanHolds(customer, now) && customer.modeSince <= item.sendTime * 1000 + 999) {
    log.info('a human servicer has this session: the AI stays quiet');
    return { kind: 'finish', state: 'skipped', note: 'a human servicer has this session' };
  }
  // The console holds the chat (an operator took over, or the customer waits in its queue): the
  // message is recorded and shown there, never sent to Coze. Unlike a WeCom handoff this holds
  // for messages sent just before the change too: the operator answers them.
  if (isConsoleMode(customer.mode)) {
    const last = await store.lastCustomerMessageAt(item.openKfId, item.externalUserId, item.seq);
    if (consoleHolds(customer, last, now)) {
      const waiting = customer.mode === 'waiting';
      log.info(
        waiting
          ? 'waiting for an operator in the console: the AI stays quiet'
          : 'an operator has this chat in the console: the AI stays quiet',
      );
      return {
        kind: 'finish',
        state: 'skipped',
        note: waiting ? 'waiting for an operator in the console' : 'an operator has this chat in the console',
      };
    }
    // 48 h without a customer message: the takeover was forgotten and the window closed. The AI
    // has the chat again (recorded, so the next message is not judged by the old takeover).
    await store.setCustomerMode(item.openKfId, item.externalUserId, 'ai', now, now);
    log.info('the console held this chat for 48 h without a customer message: the AI answers again');
  }

  if (inQuietHours(service.quietHours, now)) {
    if (now - customer.quietNoticeAt < service.noticeIntervalMs)
      return { kind: 'finish', state: 'skipped', note: 'quiet hours (notice already sent)' };
    await store.markCustomerNotice(item.openKfId, item.externalUserId, 'quiet', now);
    return { kind: 'reply', parts: [{ kind: 'text', content: service.quietText }], note: 'quiet hours' };
  }

  if (item.attempts > d.maxClaims) {
    return {
      kind: 'reply',
      parts: [{ kind: 'text', content: d.apologyText }],
      note: `failed: gave up after ${item.attempts - 1} interrupted attempts`,
      apology: true,
    };
  }

  // From here on the customer waits for Coze (media first, then the chat): a slow answer gets the
  // waiting notice, stopped before the plan is returned (so before any answer is stored).
  const notice = WaitNotice.start(item, settings, { store, wecom: d.wecom, owner: d.owner }, log);
  try {
    const plan = await planFromCoze(item, d, { settings, target, customer, user }, now, log, signal);
    // A notice that went out after the plan read the budget made that figure stale: the send reads it.
    if ((await notice?.stop()) && plan.kind === 'reply') delete plan.budgetUsed;
    return plan;
  } finally {
    await notice?.stop();
  }
}

/** The Coze part of planReply: the customer's message as Coze input, `/reset`, handoff words, then Coze. */
async function planFromCoze(
  item: InboxItem,
  d: PlanDeps,
  known: {
    settings: ServiceSettings;
    target: ChatTarget;
  } & CustomerWithUser,
  now: number,
  log: Logger,
  signal: AbortSignal,
): Promise<Plan> {
  const { store, service } = d;
  const { settings, target, customer } = known;
  let input;
  try {
    input = await toCozeInput(item.payload as KfMessage, {
      wecom: d.wecom,
      coze: d.coze,
      target,
      ...(d.voice ? { voice: d.voice } : {}),
      signal,
    });
  } catch (err) {
    if (signal.aborted) return { kind: 'aborted' };
    // Fetching the customer's media failed: WeCom or Coze is down. Try again later.
    return { kind: 'defer', reason: (err as Error).message };
  }
  if (input.kind === 'coze' && input.media) {
    // For the console's thread only: a failed write must not cost the customer their answer.
    await store.noteMedia(item.msgid, input.media, now).catch((err: unknown) => {
      log.warn({ err: (err as Error).message }, 'could not keep the transcript or file name of a message');
    });
  }
  if (input.kind === 'unsupported') {
    log.info({ reason: input.reason }, 'message not sent to Coze; sending the polite fallback');
    return {
      kind: 'reply',
      parts: [{ kind: 'text', content: input.voice ? service.voiceText : d.unsupportedText }],
      note: input.reason,
    };
  }

  const words = input.text?.trim() ?? '';
  if (words && words === service.resetCommand) {
    const userId = await store.resolveUser('wecom', item.externalUserId, now);
    await store.clearConversation(userId, botKeyOf(target));
    log.info('customer asked for a new conversation');
    return { kind: 'reply', parts: [{ kind: 'text', content: service.resetText }], note: 'reset' };
  }
  if (words && settings.handoffKeywords.some((k) => words.includes(k))) {
    log.info('customer asked for a human');
    return { kind: 'reply', parts: handoffParts(settings), note: 'handoff: asked by the customer' };
  }

  // Read with the customer; a customer seen for the first time gets their user here.
  const { userId, conversation } =
    known.user ??
    (await store.userWithConversation(
      'wecom',
      item.externalUserId,
      botKeyOf(target),
      now,
      known.user === null,
    ));
  const askedAt = Date.now();
  const res = await askCoze(
    {
      coze: d.coze,
      store,
      target,
      maxAttempts: d.maxAttempts,
      retryBaseMs: d.retryBaseMs,
      cozeAuth: d.cozeAuth,
    },
    {
      msgid: item.msgid,
      userId,
      messages: input.messages,
      previousChat: { conversationId: item.cozeConversationId, chatId: item.cozeChatId },
      ...(conversation !== undefined ? { conversation } : {}),
    },
    log.child({ userId }),
    signal,
  );
  if (signal.aborted) return { kind: 'aborted' };
  if (res.ok) d.metrics?.observe('coze_answer_seconds', (Date.now() - askedAt) / 1000);
  if (!res.ok) {
    if (res.retriable && now - customer.fallbackSentAt < service.noticeIntervalMs) {
      log.warn(
        { reason: res.reason },
        'Coze unreachable; this customer was already told, so nothing is sent',
      );
      return { kind: 'finish', state: 'failed', note: `failed: ${res.reason} (apology already sent)` };
    }
    if (res.retriable) await store.markCustomerNotice(item.openKfId, item.externalUserId, 'fallback', now);
    log.warn({ reason: res.reason }, 'Coze retry budget spent; sending the apology');
    return {
      kind: 'reply',
      parts: [{ kind: 'text', content: d.apologyText }],
      note: `failed: ${res.reason}`,
      apology: true,
    };
  }

  let text = res.text;
  const wantsHuman = service.handoffMarker !== '' && text.includes(service.handoffMarker);
  if (wantsHuman) text = text.split(service.handoffMarker).join('').trim();
  const { left, used } = await budgetLeft(store, item, d.maxParts);
  const menu = settings.followUpMenu && !wantsHuman && res.followUps.length > 0;
  const textBudget = Math.max(1, left - (wantsHuman ? 1 : 0) - (menu && left > 1 ? 1 : 0));
  const parts = text ? composeReply(text, textBudget) : [];
  if (wantsHuman) {
    log.info('the bot asked for a human');
    return {
      kind: 'reply',
      parts: [...parts, ...handoffParts(settings)],
      note: 'handoff: asked by the bot',
      budgetUsed: used,
    };
  }
  // The customer spoke: the answer spoken too, where the budget has room after the text (then the menu).
  const spoken = input.voice && settings.voiceReply && settings.voiceId ? speakable(text) : undefined;
  if (spoken && parts.length > 0 && parts.length < left)
    parts.push({ kind: 'voice', content: spoken, voiceId: settings.voiceId });
  else if (input.voice && settings.voiceReply)
    log.info(
      {
        reason: spoken
          ? 'no room in the 5-message budget after the text'
          : 'nothing to speak, or over 1024 bytes',
      },
      'answer sent as text only',
    );
  if (menu && parts.length < left)
    parts.push({ kind: 'menu', content: '您可能还想问：', buttons: res.followUps.slice(0, 10) });
  return { kind: 'reply', parts, note: null, budgetUsed: used };
}
