import type { Logger } from '../log/logger.js';
import type { InboxItem } from '../store/types.js';
import { MediaTooLargeError, isMediaGone, isMediaTooLarge, wecomErrcodeOf } from '../wecom/errors.js';
import type { MediaFile } from '../wecom/types.js';
import { Gate } from '../util/gate.js';

/** What the console's media route needs of WeCom (WecomApi has it). */
export interface MediaDownloadPort {
  getMedia(mediaId: string, opts?: { maxBytes?: number }): Promise<MediaFile>;
}

/**
 * The largest media the console hands over: WeCom's own largest (a file, 20 MB; anything bigger
 * reaches us as a text notice, docs/protocol.md §media). More than that is refused, never buffered.
 */
export const MEDIA_MAX_BYTES = 20 * 1024 * 1024;
/** Downloads from WeCom at once per instance, and how many more may wait for a turn (then: busy). */
export const MEDIA_PARALLEL = 4;
export const MEDIA_WAITING = 16;

/** The kinds of inbox message that carry a media_id the console may fetch. */
const MEDIA_TYPES = new Set(['image', 'voice', 'video', 'file']);

/**
 * What browsers may be shown inline, decided by the bytes (file-type's magic numbers), never by the
 * name or the content-type WeCom passes on: raster formats only, so no SVG, HTML or anything with
 * scripts is ever rendered from a customer's upload.
 */
const INLINE_IMAGES = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
  ['image/bmp', 'bmp'],
]);

/** Where a row's media lives, or undefined when the row carries none. */
export interface MediaRef {
  msgtype: 'image' | 'voice' | 'video' | 'file';
  mediaId: string;
  /** A file's name as the pipeline learnt it (inbox.media_filename), if it did. */
  filename: string | null;
}

export function mediaRefOf(item: InboxItem): MediaRef | undefined {
  if (!MEDIA_TYPES.has(item.msgtype)) return undefined;
  const body = (item.payload as Record<string, unknown> | null)?.[item.msgtype] as
    { media_id?: unknown } | undefined;
  const mediaId = body?.media_id;
  if (typeof mediaId !== 'string' || !mediaId || mediaId.length > 512) return undefined;
  return { msgtype: item.msgtype as MediaRef['msgtype'], mediaId, filename: item.mediaFilename ?? null };
}

export type MediaResult =
  /** An image whose bytes are one of the raster formats above: may be shown inline as `mime`. */
  | { kind: 'image'; data: Buffer; mime: string; filename: string }
  /** Anything else (a file, a voice, a video, an "image" that is not one): a download only. */
  | { kind: 'download'; data: Buffer; filename: string }
  /** WeCom no longer has it (media ids live 3 days) or never had it. */
  | { kind: 'expired' }
  | { kind: 'too_large'; maxBytes: number }
  /** Too many downloads at once on this instance. */
  | { kind: 'busy' }
  /** WeCom could not be asked or answered something else; `errcode` when it answered. */
  | { kind: 'failed'; reason: string; errcode?: number };

/**
 * Customers' media for the console: downloads from WeCom's media/get with a size cap and a cap on
 * downloads at once (so the console cannot be turned into a hammer on WeCom), then decides how it
 * may be served: inline as an image only when the bytes prove a raster image, else as a download.
 * Nothing is cached here: the browser keeps what it got (Cache-Control: private).
 */
export class CustomerMedia {
  private readonly gate: Gate;

  constructor(
    private readonly wecom: MediaDownloadPort,
    private readonly logger: Logger,
    private readonly opts: { maxBytes?: number; parallel?: number; waiting?: number } = {},
  ) {
    this.gate = new Gate(opts.parallel ?? MEDIA_PARALLEL, opts.waiting ?? MEDIA_WAITING);
  }

  get maxBytes(): number {
    return this.opts.maxBytes ?? MEDIA_MAX_BYTES;
  }

  async fetch(ref: MediaRef, seq: number): Promise<MediaResult> {
    const maxBytes = this.maxBytes;
    const got = await this.gate.run(async (): Promise<MediaResult> => {
      let media: MediaFile;
      try {
        media = await this.wecom.getMedia(ref.mediaId, { maxBytes });
      } catch (err) {
        if (err instanceof MediaTooLargeError) return { kind: 'too_large', maxBytes };
        const errcode = wecomErrcodeOf(err);
        if (errcode !== undefined && isMediaGone(errcode)) return { kind: 'expired' };
        if (errcode !== undefined && isMediaTooLarge(errcode)) return { kind: 'too_large', maxBytes };
        this.logger.warn(
          { err: (err as Error).message, seq },
          'console: a customer media could not be fetched',
        );
        return {
          kind: 'failed',
          reason: (err as Error).message,
          ...(errcode !== undefined ? { errcode } : {}),
        };
      }
      // Loaded at the first download: the sniffer and its tokenizers (about 2 MB of heap) stay out of
      // a server whose operators never open a customer's media.
      const { fileTypeFromBuffer } = await import('file-type');
      const type = await fileTypeFromBuffer(media.data);
      const inline = ref.msgtype === 'image' && type ? INLINE_IMAGES.get(type.mime) : undefined;
      const name = downloadName(ref, seq, media, type?.ext, Boolean(inline));
      if (type && inline) return { kind: 'image', data: media.data, mime: type.mime, filename: name };
      return { kind: 'download', data: media.data, filename: name };
    });
    return got ?? { kind: 'busy' };
  }
}

/**
 * The name a download is saved under: the name the customer's file had (WeCom's, else the one the
 * pipeline kept), else `<type>-<seq>.<extension the bytes prove>`; an image that is no image gets
 * `.bin`, so the operator's system does not open it as what it claims to be either.
 */
function downloadName(
  ref: MediaRef,
  seq: number,
  media: MediaFile,
  ext: string | undefined,
  inline: boolean,
): string {
  if (ref.msgtype === 'file') {
    const given = safeFilename(media.filename ?? ref.filename ?? '');
    if (given) return given;
  }
  const fallback = ref.msgtype === 'voice' ? 'amr' : ref.msgtype === 'video' ? 'mp4' : 'bin';
  return `${ref.msgtype}-${seq}.${ref.msgtype === 'image' ? (inline ? ext : 'bin') : (ext ?? fallback)}`;
}

/**
 * A customer's file name as a download name: no directories, no control or quote characters, no
 * leading dots (a hidden file), at most 120 characters; '' when nothing is left.
 */
export function safeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const unsafe = (ch: string) => ch.charCodeAt(0) < 0x20 || ch === '\u007f' || '"*:<>?|'.includes(ch);
  return [...base]
    .map((ch) => (unsafe(ch) ? '_' : ch))
    .slice(0, 120)
    .join('')
    .replace(/^[.\s]+/, '')
    .trim();
}

/**
 * `Content-Disposition` for a name: a plain ASCII fallback and the RFC 5987 UTF-8 form (browsers
 * prefer it), so a Chinese file name survives and nothing can break out of the header.
 */
export function attachmentHeader(
  filename: string,
  disposition: 'attachment' | 'inline' = 'attachment',
): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'download';
  const utf8 = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
