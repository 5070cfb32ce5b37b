import type { ServiceSettings } from '../config/service-settings.js';
import type { Logger } from '../log/logger.js';
import type { InboxItem, Store } from '../store/types.js';
import { DUPLICATE_MSGID_ERRCODE, wecomErrcodeOf, type WecomPort } from './ports.js';
import { outboundMsgid } from './reply.js';
import { WECOM_PARTS_PER_CUSTOMER_MESSAGE } from './send-reply.js';

/**
 * The waiting notice's outbound msgid: derived from the customer message's own, so every attempt
 * (a retry after a Coze failure, another instance after a crash) sends it under the same id and
 * WeCom refuses a second one as a duplicate. Distinct from the answer's part msgids (`outboundMsgid(msgid, n)`).
 */
export function waitNoticeMsgid(inboundMsgid: string): string {
  return outboundMsgid(`${inboundMsgid}#notice`, 0);
}

export interface WaitNoticeDeps {
  store: Store;
  wecom: WecomPort;
  /** This worker's lease owner: the notice goes out only while the message is still ours. */
  owner: string;
}

/**
 * "正在为您查询，请稍候…" when Coze is slow: a timer the Coze-asking step starts and stops. It fires
 * once, after `waitNoticeMs`, and sends the notice only when
 * - Coze has not answered (the step stops the timer before the answer is stored, and `stop` waits
 *   for a notice in flight, so a notice never follows the answer),
 * - the message is still received and leased by this worker (a takeover or a recall stops it),
 * - the 5-message budget leaves room for the answer after it, and for the customer's later
 *   messages still waiting (each needs one).
 * Sending is best effort: a failure is logged, never retried (the answer matters, not the notice).
 */
export class WaitNotice {
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly item: InboxItem,
    private readonly text: string,
    private readonly deps: WaitNoticeDeps,
    private readonly log: Logger,
  ) {}

  /** Starts the timer when the account has the notice on; undefined when off. */
  static start(
    item: InboxItem,
    settings: Pick<ServiceSettings, 'waitNotice' | 'waitNoticeMs' | 'waitNoticeText'>,
    deps: WaitNoticeDeps,
    log: Logger,
  ): WaitNotice | undefined {
    if (!settings.waitNotice || !settings.waitNoticeText) return undefined;
    const n = new WaitNotice(item, settings.waitNoticeText, deps, log);
    n.timer = setTimeout(() => {
      n.firing = n.fire().catch((err: unknown) => {
        log.warn({ err: { message: (err as Error).message } }, 'waiting notice not sent');
      });
    }, settings.waitNoticeMs);
    return n;
  }

  /**
   * Cancels the notice; waits for one already going out, so nothing is sent after this returns.
   * True when it fired (a notice may have gone out and been counted against the budget).
   */
  async stop(): Promise<boolean> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.firing;
    return this.firing !== undefined;
  }

  private async fire(): Promise<void> {
    const { item, deps, log } = this;
    if (this.stopped) return;
    const { used, waiting } = await deps.store.budgetAndWaiting(item.openKfId, item.externalUserId, item.seq);
    // The notice, the answer, and one for each later message of the customer still waiting.
    if (used + 1 + 1 + waiting > WECOM_PARTS_PER_CUSTOMER_MESSAGE) {
      log.info({ used, waiting }, 'Coze is slow, but the budget has no room for a waiting notice: none sent');
      return;
    }
    const cur = await deps.store.get(item.msgid);
    if (this.stopped || cur?.state !== 'received' || (cur.leaseOwner ?? deps.owner) !== deps.owner) return;
    const outMsgid = waitNoticeMsgid(item.msgid);
    try {
      await deps.wecom.sendMsg({
        touser: item.externalUserId,
        open_kfid: item.openKfId,
        msgid: outMsgid,
        message: { msgtype: 'text', text: { content: this.text } },
      });
      log.info({ outMsgid }, 'Coze is slow: waiting notice sent');
    } catch (err) {
      if (wecomErrcodeOf(err) !== DUPLICATE_MSGID_ERRCODE) throw err;
      // An earlier attempt at this message (before a crash or a retry) sent it already.
      log.info({ outMsgid }, 'waiting notice was already sent for this message (duplicate msgid)');
    }
    // Counted against the budget like any message (once: the log is keyed by the msgid).
    await deps.store.logInterimSend(item.msgid, deps.owner, outMsgid, Date.now());
  }
}
