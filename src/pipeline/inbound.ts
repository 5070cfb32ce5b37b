import { fileTypeFromBuffer } from 'file-type';
import type { MediaNote } from '../store/types.js';
import type { KfMessage } from '../wecom/types.js';
import type { EnterMessage, CozePort, ChatTarget, VoicePort, WecomPort } from './ports.js';

export type CozeInput =
  | {
      kind: 'coze';
      messages: EnterMessage[];
      /** the customer's words, for commands and handoff keywords */ text?: string;
      /** what was learnt of the media on the way (a voice's transcript, a file's name), for the console */
      media?: MediaNote;
      /** the customer spoke: a voice reply may go with the text (voice out) */ voice?: true;
    }
  | { kind: 'unsupported'; reason: string; voice?: boolean };

/** Image kinds Coze takes as images; anything else is not sent as an image. */
const IMAGE_EXTS = new Set(['jpg', 'png', 'gif', 'webp', 'bmp', 'tif', 'heic', 'heif']);

const question = (content: string): EnterMessage => ({
  role: 'user',
  type: 'question',
  content,
  content_type: 'text',
});
const multimodal = (items: object[]): EnterMessage => ({
  role: 'user',
  type: 'question',
  content: JSON.stringify(items),
  content_type: 'object_string',
});

/** Without a converter, only audio Coze already transcribes can go (ogg, mp3, wav). */
async function asItIs(data: Buffer): Promise<{ data: Buffer; ext: string; mime: string } | undefined> {
  const type = await fileTypeFromBuffer(data);
  return type && ['ogg', 'mp3', 'wav'].includes(type.ext)
    ? { data, ext: type.ext, mime: type.mime }
    : undefined;
}

/** Types that carry no media become a description the bot can work with. */
function describe(m: KfMessage): string | undefined {
  switch (m.msgtype) {
    case 'location': {
      const l = m.location;
      return l
        ? `[位置] ${[l.name, l.address].filter(Boolean).join(' ')}（纬度 ${l.latitude}，经度 ${l.longitude}）`
        : undefined;
    }
    case 'link': {
      const l = m.link;
      return l ? `[链接] ${[l.title, l.desc, l.url].filter(Boolean).join('\n')}` : undefined;
    }
    case 'miniprogram':
      return m.miniprogram
        ? `[小程序] ${m.miniprogram.title ?? m.miniprogram.appid ?? ''}`.trim()
        : undefined;
    case 'business_card':
      return m.business_card ? `[名片] ${m.business_card.userid}` : undefined;
    default:
      return undefined;
  }
}

/**
 * Turns one customer message into what Coze is asked. Text goes as text; an image or file is
 * fetched from WeCom, uploaded to Coze under a name whose extension comes from its bytes (Coze
 * rejects a .jpg that is really a PNG), and sent as a multimodal object_string; voice is
 * transcribed by Coze; locations, links, mini-programs and cards become a text description.
 * The chatflow API takes plain text only, so media is not passed to a chatflow.
 */
export async function toCozeInput(
  m: KfMessage,
  deps: { wecom: WecomPort; coze: CozePort; target: ChatTarget; voice?: VoicePort; signal?: AbortSignal },
): Promise<CozeInput> {
  switch (m.msgtype) {
    case 'text': {
      const content = m.text?.content ?? '';
      if (!content.trim()) return { kind: 'unsupported', reason: 'empty text' };
      return { kind: 'coze', messages: [question(content)], text: content };
    }
    case 'image':
    case 'file': {
      const mediaId = m.image?.media_id ?? m.file?.media_id;
      if (!mediaId) return { kind: 'unsupported', reason: `${m.msgtype} without media_id` };
      if (deps.target.kind === 'chatflow')
        return { kind: 'unsupported', reason: `${m.msgtype}s are not passed to a chatflow` };
      const media = await deps.wecom.getMedia(mediaId);
      const type = await fileTypeFromBuffer(media.data);
      if (m.msgtype === 'image') {
        if (!type || !IMAGE_EXTS.has(type.ext))
          return { kind: 'unsupported', reason: `image bytes not recognised (${type?.mime ?? 'unknown'})` };
        const file = await deps.coze.uploadFile(
          `${mediaId.slice(0, 40)}.${type.ext}`,
          media.data,
          type.mime,
          deps.signal,
        );
        return {
          kind: 'coze',
          messages: [
            multimodal([
              { type: 'text', text: '（用户发送了一张图片）' },
              { type: 'image', file_id: file.id },
            ]),
          ],
        };
      }
      // Files keep the name the customer saw; the extension is corrected from the bytes when known.
      const base = (media.filename ?? mediaId.slice(0, 40)).replace(/\.[A-Za-z0-9]{1,8}$/, '');
      const ext = type?.ext ?? /\.([A-Za-z0-9]{1,8})$/.exec(media.filename ?? '')?.[1] ?? 'bin';
      const file = await deps.coze.uploadFile(
        `${base}.${ext}`,
        media.data,
        type?.mime ?? media.contentType,
        deps.signal,
      );
      return {
        kind: 'coze',
        messages: [
          multimodal([
            { type: 'text', text: `（用户发送了一个文件：${base}.${ext}）` },
            { type: 'file', file_id: file.id },
          ]),
        ],
        ...(media.filename ? { media: { filename: media.filename } } : {}),
      };
    }
    case 'voice': {
      const mediaId = m.voice?.media_id;
      if (!mediaId) return { kind: 'unsupported', reason: 'voice without media_id', voice: true };
      const media = await deps.wecom.getMedia(mediaId);
      // WeCom delivers AMR; Coze transcribes ogg, mp3 and wav only: convert first (ffmpeg).
      let audio;
      try {
        audio = deps.voice ? await deps.voice.toTranscribable(media.data) : await asItIs(media.data);
      } catch (err) {
        return {
          kind: 'unsupported',
          reason: `voice not transcribed: could not convert it (${(err as Error).message})`,
          voice: true,
        };
      }
      if (!audio)
        return {
          kind: 'unsupported',
          reason: 'voice not transcribed: no converter for its format (install ffmpeg; see `wxcoze doctor`)',
          voice: true,
        };
      try {
        const text = (
          await deps.coze.transcribe(
            `${mediaId.slice(0, 40)}.${audio.ext}`,
            audio.data,
            audio.mime,
            deps.signal,
          )
        ).trim();
        if (!text) return { kind: 'unsupported', reason: 'voice transcribed to nothing', voice: true };
        return { kind: 'coze', messages: [question(text)], text, media: { transcript: text }, voice: true };
      } catch (err) {
        // Stopped while waiting for a Coze slot: not the voice's fault, the message is taken up again.
        if (deps.signal?.aborted) throw err;
        return {
          kind: 'unsupported',
          reason: `voice not transcribed: ${(err as Error).message}`,
          voice: true,
        };
      }
    }
    default: {
      const text = describe(m);
      if (text) return { kind: 'coze', messages: [question(text)] };
      return { kind: 'unsupported', reason: `msgtype ${m.msgtype}` };
    }
  }
}
