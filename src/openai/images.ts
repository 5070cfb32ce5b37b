/**
 * Image bytes of an `image_url` part: a base64 `data:` URL (what Open-WebUI sends), or an https
 * URL downloaded here (public addresses only, at most 3 redirects and never https → http, size and
 * time limits). The bytes decide the type, because Coze rejects a file whose extension lies about it.
 * A failed download tells the client one generic sentence: the reason (an address, a port, a TLS
 * error) would map our network for them, so it goes to the log only.
 */
import { fileTypeFromBuffer } from 'file-type';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log/logger.js';
import { fetchOutsideBytes, OutsideFetchError } from '../net/outside-fetch.js';
import { decodeDataUrl } from './data-url.js';
import { badRequest } from './errors.js';

export interface ImageBytes {
  data: Buffer;
  mime: string;
  ext: string;
}

export interface ImageLoadOptions {
  maxBytes: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** image_url links may point at private addresses (WXCOZE_ALLOW_PRIVATE_URLS). */
  allowPrivate?: boolean;
  /** For tests (a TLS agent trusting a test certificate). */
  dispatcher?: Dispatcher;
  /** Where the reason of a failed download goes (never to the client). */
  log?: Pick<Logger, 'warn'>;
}

const IMAGE_EXTS = new Set(['jpg', 'png', 'gif', 'webp', 'bmp', 'tif', 'heic', 'heif', 'avif']);

export async function loadImage(url: string, param: string, opts: ImageLoadOptions): Promise<ImageBytes> {
  let data: Buffer;
  if (/^data:/i.test(url)) data = await decodeDataUrl(url, param, opts.maxBytes);
  else if (/^https:\/\//i.test(url)) data = await download(url, param, opts);
  else
    throw badRequest(
      `${param} must be a data: URL or an https:// URL (got ${JSON.stringify(url.slice(0, 40))})`,
      param,
      'invalid_image_url',
    );
  const type = await fileTypeFromBuffer(data);
  if (!type || !IMAGE_EXTS.has(type.ext)) {
    throw badRequest(
      `${param} is not an image wxcoze can pass to Coze (${type?.mime ?? 'unrecognised bytes'}); send JPEG, PNG, GIF, WebP or BMP`,
      param,
      'invalid_image',
    );
  }
  return { data, mime: type.mime, ext: type.ext };
}

/** What the client sees for any download failure (the reason is logged). */
const notFetched = (param: string) =>
  badRequest(`${param}: the image could not be fetched`, param, 'image_download_failed');

async function download(url: string, param: string, opts: ImageLoadOptions): Promise<Buffer> {
  const timeout = opts.timeoutMs ?? 15_000;
  try {
    const { data } = await fetchOutsideBytes(url, {
      allowPrivate: opts.allowPrivate ?? false,
      schemes: ['https:'],
      signal: opts.signal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      maxBytes: opts.maxBytes,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    return data;
  } catch (err) {
    if (err instanceof OutsideFetchError && err.tooLarge)
      throw badRequest(`${param}: the image is larger than ${opts.maxBytes} bytes`, param, 'image_too_large');
    opts.log?.warn({ param, reason: (err as Error).message }, 'openai: image_url not fetched');
    throw notFetched(param);
  }
}
