/**
 * The WeCom kf shapes the rest of wxcoze relies on. Field names follow the official docs
 * (see docs/protocol.md §sync_msg, §send_msg); we keep the wire names (snake_case) for wire objects.
 */

/** One item of kf/sync_msg `msg_list`. Unknown msgtypes must pass through untouched. */
export interface KfMessage {
  msgid: string;
  open_kfid?: string;
  external_userid?: string;
  send_time: number; // unix seconds
  origin: number; // 3 customer, 4 system event, 5 human servicer
  servicer_userid?: string;
  msgtype: string;
  text?: { content: string; menu_id?: string };
  image?: { media_id: string };
  voice?: { media_id: string };
  video?: { media_id: string };
  file?: { media_id: string };
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  link?: { title?: string; desc?: string; url?: string; pic_url?: string };
  miniprogram?: { title?: string; appid?: string; pagepath?: string; thumb_media_id?: string };
  business_card?: { userid: string };
  event?: { event_type: string; open_kfid?: string; external_userid?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface SyncMsgPage {
  next_cursor: string;
  has_more: boolean;
  msg_list: KfMessage[];
}

/** What we send. `msgid` is our deterministic idempotency key (≤32 bytes of [0-9A-Za-z_-]). */
export type OutboundMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'voice'; voice: { media_id: string } }
  | { msgtype: 'msgmenu'; msgmenu: { head_content?: string; list: unknown[]; tail_content?: string } };

export interface SendMsgRequest {
  touser: string;
  open_kfid: string;
  msgid: string;
  message: OutboundMessage;
}

/** A decoded callback (the decrypted inner XML), by kind. Anything unknown is `other`, never an error. */
export type CallbackEvent =
  | { kind: 'kf_msg_or_event'; token: string; openKfId: string; createTime: number; toUserName: string }
  | {
      kind: 'kf_account_auth_change';
      added: string[];
      removed: string[];
      createTime: number;
      toUserName: string;
    }
  | { kind: 'other'; msgType: string; event?: string; createTime?: number; toUserName?: string };

export interface MediaFile {
  data: Buffer;
  contentType: string;
  filename?: string;
}
