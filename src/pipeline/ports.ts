/**
 * What the pipeline needs from the outside world, as narrow structural types. The real WeCom and
 * Coze clients satisfy them; nothing in the pipeline depends on their internals.
 */
import type { ChatTarget, EnterMessage } from '../coze/types.js';
import type { MediaFile, OutboundMessage, SendMsgRequest, SyncMsgPage } from '../wecom/types.js';

/** Which Coze runnable answers, and one message handed to it: the Coze client's own types. */
export type { ChatTarget, EnterMessage };
export { chatTargetOf, namesTarget } from '../coze/target.js';
/** Which Coze credential the port speaks as ('token', 'oauth:<app id>'): conversations belong to it. */
export { authIdentity } from '../coze/auth.js';

/**
 * How the ports fail. A WecomPort call that WeCom answered with an errcode rejects with a
 * `WecomApiError` (`errcode`; read it with `wecomErrcodeOf`); any other rejection means no clear
 * answer (network, timeout, 5xx after the client's own retries). A CozePort call rejects with a
 * `CozeError` (`code`, `kind`, `retriable`); anything else is treated as not retriable.
 */
export { CozeError, isThrottling } from '../coze/errors.js';
export {
  DUPLICATE_MSGID_ERRCODE,
  isAlreadyHanded,
  undeliverableReason,
  WecomApiError,
  wecomErrcodeOf,
} from '../wecom/errors.js';

export interface WecomPort {
  syncMsg(req: { openKfId: string; cursor?: string; token?: string; limit?: number }): Promise<SyncMsgPage>;
  sendMsg(req: SendMsgRequest): Promise<{ msgid: string }>;
  getMedia(mediaId: string): Promise<MediaFile>;
  uploadMedia(
    type: 'image' | 'voice' | 'video' | 'file',
    filename: string,
    data: Buffer,
    contentType: string,
  ): Promise<string>;
  sendMsgOnEvent(code: string, msgid: string, message: OutboundMessage): Promise<{ msgid: string }>;
  transServiceState(
    openKfId: string,
    externalUserId: string,
    state: number,
    servicerUserId?: string,
  ): Promise<{ msg_code?: string }>;
  /** kf/customer/batchget: WeChat nickname and avatar of up to 100 customers active within 48 h. */
  batchGetCustomers(externalUserIds: string[]): Promise<{
    customers: { externalUserId: string; nickname: string; avatar: string }[];
    invalid: string[];
  }>;
}

export interface CozeChatResult {
  text: string;
  followUps: string[];
  conversationId: string;
  chatId: string;
}

export interface CozePort {
  chat(req: {
    target: ChatTarget;
    userId: string;
    conversationId?: string;
    messages: EnterMessage[];
    signal?: AbortSignal;
    onEvent?: (e: { type: string; chatId?: string; conversationId?: string }) => void;
  }): Promise<CozeChatResult>;
  // `signal` ends a wait for a Coze slot (limited-coze.ts); the call itself, once made, runs to its end.
  cancelChat(conversationId: string, chatId: string): Promise<void>;
  uploadFile(
    filename: string,
    data: Buffer,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<{ id: string }>;
  transcribe(filename: string, data: Buffer, contentType: string, signal?: AbortSignal): Promise<string>;
  /** Text to speech: the audio (WAV) of `input` (≤ 1024 bytes) in the voice `voiceId`. */
  speech(input: string, voiceId: string, signal?: AbortSignal): Promise<Buffer>;
}

/**
 * Voice conversion (src/media/voice.ts on the system's ffmpeg). `toTranscribable`: audio Coze
 * transcribes, undefined when none can be made here (no converter); rejects when the voice cannot
 * be converted. `toWecomVoice`: AMR for a WeCom voice message, undefined when AMR cannot be encoded.
 */
export interface VoicePort {
  toTranscribable(data: Buffer): Promise<{ data: Buffer; ext: string; mime: string } | undefined>;
  toWecomVoice(data: Buffer): Promise<Buffer | undefined>;
}
