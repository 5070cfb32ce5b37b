import { settingsFor, type ServiceConfig, type ServiceSettings } from '../config/service-settings.js';
import type { Logger } from '../log/logger.js';
import type { InboxItem, Store } from '../store/types.js';
import type { Plan } from './plan-reply.js';
import { DUPLICATE_MSGID_ERRCODE, undeliverableReason, wecomErrcodeOf, type WecomPort } from './ports.js';
import { outboundMsgid } from './reply.js';
import { WECOM_PARTS_PER_CUSTOMER_MESSAGE } from './send-reply.js';
import { ratingMenu } from './survey-menu.js';

/**
 * The satisfaction survey: a rating menu sent once when a conversation ends, the customer's click
 * recorded as a rating (classify.ts keeps it from Coze, events.ts stores it).
 *
 * When does a conversation end?
 * - A WeCom servicer ended the session: WeCom says so (`session_status_change`, change_type 3) with
 *   a msg_code valid 20 s for send_msg_on_event. planSessionEnd answers that event with the menu.
 * - The AI served it: WeCom never says. wxcoze calls it ended when the customer's last message was
 *   answered by the AI and nothing came for `surveyQuietMs` (WXCOZE_SURVEY_QUIET_MS, 30 min by
 *   default). The SurveySweeper finds such conversations in the store and sends with send_msg, within
 *   WeCom's 48 hours and only while the 5-message budget has room (it is one of the 5).
 * Exactly once: a survey row is claimed before anything is sent, keyed by the conversation (the
 * customer and their last message), so two instances or two sweeps send one survey; its msgid is
 * derived from that message, so a re-send after a crash is refused by WeCom as a duplicate.
 */

/** A session-end code is valid 20 s (send_msg_on_event; docs/protocol.md §send_msg_on_event). */
const SESSION_END_CODE_MS = 20_000;
/** How long a sweeper's claim on a survey holds before another instance may send it instead. */
const CLAIM_MS = 60_000;
/** WeCom's window after the customer's last message; a margin for the sweep's own delay. */
const WINDOW_MS = 48 * 3_600_000 - 10 * 60_000;
/** Conversations surveyed per sweep (the next sweep takes the rest). */
const PER_SWEEP = 50;

/** The survey's msgid for one conversation (its customer and last row): the same on every attempt, by any instance. */
export function surveyMsgid(openKfId: string, externalUserId: string, lastSeq: number): string {
  return outboundMsgid(`survey:${openKfId}:${externalUserId}:${lastSeq}`, 0);
}

/** The reply to a servicer ending the session: the rating menu on its msg_code, when the account surveys. */
export async function planSessionEnd(
  item: InboxItem,
  settings: ServiceSettings,
  service: ServiceConfig,
  deps: { store: Store; owner: string },
  log: Logger,
  now: number,
): Promise<Plan> {
  const ev = (item.payload as { event?: Record<string, unknown> }).event ?? {};
  const code = typeof ev.msg_code === 'string' ? ev.msg_code : '';
  if (!settings.survey || !code) return { kind: 'finish', state: 'skipped', note: 'session ended' };
  const age = now - item.sendTime * 1000;
  if (age > SESSION_END_CODE_MS) {
    log.warn({ ageMs: age }, 'session end came too late for the survey: its code is valid for 20 s');
    return { kind: 'finish', state: 'skipped', note: 'session ended (too late for the survey)' };
  }
  const id = await deps.store.surveys.claim(
    { openKfId: item.openKfId, externalUserId: item.externalUserId, lastSeq: item.seq, via: 'session_end' },
    deps.owner,
    now,
    CLAIM_MS,
  );
  if (id === undefined)
    return { kind: 'finish', state: 'skipped', note: 'session ended (survey already sent)' };
  return {
    kind: 'reply',
    parts: [
      { kind: 'survey', content: settings.surveyText, buttons: service.surveyOptions, code, surveyId: id },
    ],
    note: 'survey',
  };
}

export interface SweeperDeps {
  store: Store;
  wecom: WecomPort;
  /** The service settings now (the console's changes applied). */
  settings: () => Promise<ServiceConfig>;
  owner: string;
  logger: Logger;
  now?: () => number;
}

/**
 * Sends the surveys of AI-served conversations that went quiet. Runs on every instance; the
 * store's claim decides which one sends each survey. Sweeps every quarter of the quiet time
 * (at most a minute apart, at least 200 ms).
 */
export class SurveySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly d: SweeperDeps) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((err: unknown) =>
          this.d.logger.warn(
            { err: { message: (err as Error).message } },
            'survey sweep failed; trying again at the next one (check the database with `wxcoze doctor`)',
          ),
        )
        .then(async () => {
          const service = await this.d.settings();
          this.schedule(Math.max(200, Math.min(60_000, service.surveyQuietMs / 4)));
        });
    }, ms);
    this.timer.unref();
  }

  /** One round: the surveys owed now are claimed and sent. Returns how many went out. */
  async sweep(): Promise<number> {
    const { store } = this.d;
    const now = (this.d.now ?? Date.now)();
    const service = await this.d.settings();
    const accounts = (await store.listAccounts())
      .map((a) => a.openKfId)
      .filter((kf) => settingsFor(service, kf).survey);
    if (accounts.length === 0) return 0;
    let sent = 0;
    // Claims whose sender vanished (a crash between claim and send): sent again, same msgid.
    for (const c of await store.surveys.reclaimStale(this.d.owner, now, CLAIM_MS, now - WINDOW_MS)) {
      if (!accounts.includes(c.openKfId)) continue;
      if (await this.send(c, service, now)) sent++;
    }
    const due = await store.surveys.quietConversations({
      openKfIds: accounts,
      since: now - WINDOW_MS,
      quietBefore: now - service.surveyQuietMs,
      limit: PER_SWEEP,
    });
    for (const conv of due) {
      if (this.stopped) break;
      // Only conversations the AI serves: not one a human or the console holds.
      const customer = await store.getCustomer(conv.openKfId, conv.externalUserId);
      if (customer.mode !== 'ai') continue;
      const id = await store.surveys.claim({ ...conv, via: 'quiet' }, this.d.owner, now, CLAIM_MS);
      if (id === undefined) continue; // another instance has it
      if (await this.send({ id, ...conv }, service, now)) sent++;
    }
    return sent;
  }

  private async send(
    c: { id: number; openKfId: string; externalUserId: string; lastSeq: number },
    service: ServiceConfig,
    now: number,
  ): Promise<boolean> {
    const { id, openKfId, externalUserId } = c;
    const { store, wecom } = this.d;
    const log = this.d.logger.child({ openKfId, externalUserId, survey: id });
    if ((await store.budgetUsed(openKfId, externalUserId)) >= WECOM_PARTS_PER_CUSTOMER_MESSAGE) {
      await store.surveys.markFailed(id, this.d.owner, 'the 5-message budget is spent', now);
      log.info('conversation ended, but the 5-message budget is spent: no survey');
      return false;
    }
    const settings = settingsFor(service, openKfId);
    const msgid = surveyMsgid(openKfId, externalUserId, c.lastSeq);
    try {
      await wecom.sendMsg({
        touser: externalUserId,
        open_kfid: openKfId,
        msgid,
        message: ratingMenu(id, settings.surveyText, service.surveyOptions),
      });
      log.info({ outMsgid: msgid }, 'conversation ended: satisfaction survey sent');
    } catch (err) {
      const errcode = wecomErrcodeOf(err);
      if (errcode === DUPLICATE_MSGID_ERRCODE) {
        log.info({ outMsgid: msgid }, 'satisfaction survey was already sent (duplicate msgid)');
      } else if (errcode !== undefined && errcode !== -1) {
        const why = undeliverableReason(errcode) ?? (err as Error).message;
        await store.surveys.markFailed(id, this.d.owner, `${errcode}: ${why}`, now);
        log.warn({ errcode }, `satisfaction survey not deliverable: ${why}`);
        return false;
      } else {
        // No clear answer (network): the claim expires and a later sweep sends it again, same msgid.
        log.warn({ err: { message: (err as Error).message } }, 'satisfaction survey send failed; will retry');
        return false;
      }
    }
    await store.surveys.markSent(id, this.d.owner, msgid, now);
    return true;
  }
}
