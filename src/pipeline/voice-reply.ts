/**
 * Voice out: the spoken copy of an answer for a customer who sent a voice message. Coze speaks the
 * text (its speech synthesis, WAV), ffmpeg makes it the AMR WeCom sends as a voice message, WeCom
 * stores it (media/upload, type voice) and the part goes out like any other.
 *
 * It is an extra, never a replacement: the text parts go first and a voice is planned only where the
 * 5-message budget has room after them (plan-reply.ts). Whatever stops a voice — an answer too long
 * to speak, no AMR encoder, Coze refusing — skips it and is logged; the text was sent regardless.
 */
import type { Logger } from '../log/logger.js';
import type { ReplyPart } from '../store/types.js';
import type { OutboundMessage } from '../wecom/types.js';
import type { CozePort, VoicePort, WecomPort } from './ports.js';

/** Coze speaks at most 1024 bytes of UTF-8 in one request (error 3010 beyond). */
export const SPEECH_MAX_INPUT_BYTES = 1024;
/** WeCom's voice message: AMR, at most 60 seconds and 2 MB (docs/protocol.md §media). */
export const WECOM_VOICE_MAX_SECONDS = 60;
export const WECOM_VOICE_MAX_BYTES = 2 * 1024 * 1024;
/** AMR-NB at 12.2 kbit/s as ffmpeg writes it: a 6-byte header, then 32 bytes per 20 ms frame. */
const AMR_HEADER = '#!AMR\n';
const AMR_BYTES_PER_SECOND = 1600;

/**
 * What of an answer is read aloud: links, image marks and markdown signs are not. Undefined when
 * nothing is left to say, or when it is more than Coze speaks at once (the customer reads that one).
 */
export function speakable(text: string): string | undefined {
  const said = text
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '') // images
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their words
    .replace(/https?:\/\/\S+/g, '') // bare addresses
    .replace(/[*_`#>~|]+/g, '') // emphasis, headings, quotes, tables
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
  if (!said) return undefined;
  return Buffer.byteLength(said, 'utf8') <= SPEECH_MAX_INPUT_BYTES ? said : undefined;
}

/** Seconds of AMR-NB 12.2k audio in `amr`. */
export function amrSeconds(amr: Buffer): number {
  return Math.max(0, amr.length - AMR_HEADER.length) / AMR_BYTES_PER_SECOND;
}

export interface VoiceReplyDeps {
  coze: CozePort;
  voice: VoicePort;
  wecom: WecomPort;
}

/**
 * The WeCom voice message for a voice part, or undefined (with the reason logged) when none can be
 * made, WeCom's upload failing included: the voice is a courtesy, not worth holding the reply for.
 */
export async function voiceMessage(
  part: ReplyPart,
  deps: VoiceReplyDeps,
  log: Logger,
  signal?: AbortSignal,
): Promise<OutboundMessage | undefined> {
  const skip = (reason: string, extra: Record<string, unknown> = {}) => {
    log.warn({ ...extra, reason }, 'voice reply skipped; the text answer stands');
    return undefined;
  };
  if (!part.voiceId) return skip('no voice configured');
  let speech: Buffer;
  try {
    speech = await deps.coze.speech(part.content, part.voiceId, signal);
  } catch (err) {
    return skip('Coze did not speak the answer', { err: { message: (err as Error).message } });
  }
  let amr: Buffer | undefined;
  try {
    amr = await deps.voice.toWecomVoice(speech);
  } catch (err) {
    return skip('ffmpeg could not convert the speech to AMR', { err: { message: (err as Error).message } });
  }
  if (!amr) return skip('this ffmpeg cannot encode AMR (install libavcodec-extra; see `wxcoze doctor`)');
  const seconds = amrSeconds(amr);
  if (seconds > WECOM_VOICE_MAX_SECONDS || amr.length > WECOM_VOICE_MAX_BYTES)
    return skip('the spoken answer is longer than WeCom takes (60 s)', { seconds: Math.round(seconds) });
  let mediaId: string;
  try {
    mediaId = await deps.wecom.uploadMedia('voice', 'answer.amr', amr, 'audio/amr');
  } catch (err) {
    return skip('WeCom did not take the voice (media/upload)', { err: { message: (err as Error).message } });
  }
  log.info({ seconds: Math.round(seconds * 10) / 10, bytes: amr.length }, 'voice reply made');
  return { msgtype: 'voice', voice: { media_id: mediaId } };
}
