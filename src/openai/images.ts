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
import { fetchOutsideUrl, OutsideFetchError } from '../net/outside-fetch.js';
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
  else throw badRequest(`${param} must be a data: URL or an https:// URL (got ${JSON.stringify(url.slice(0, 40))})`, param, 'invalid_image_url');
  const type = await fileTypeFromBuffer(data);
  if (!type || !IMAGE_EXTS.has(type.ext)) {
    throw badRequest(`${param} is not an image wxcoze can pass to Coze (${type?.mime ?? 'unrecognised bytes'}); send JPEG, PNG, GIF, WebP or BMP`, param, 'invalid_image');
  }
  return { data, mime: type.mime, ext: type.ext };
}

/** What the client sees for any download failure (the reason is logged). */
const notFetched = (param: string) => badRequest(`${param}: the image could not be fetched`, param, 'image_download_failed');

async function download(url: string, param: string, opts: ImageLoadOptions): Promise<Buffer> {
  const timeout = opts.timeoutMs ?? 15_000;
  const fail = (reason: string) => {
    opts.log?.warn({ param, reason }, 'openai: image_url not fetched');
    return notFetched(param);
  };
  let res: Dispatcher.ResponseData;
  try {
    res = await fetchOutsideUrl(url, { allowPrivate: opts.allowPrivate ?? false, schemes: ['https:'], signal: opts.signal, headersTimeout: timeout, bodyTimeout: timeout, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) });
  } catch (err) {
    if (err instanceof OutsideFetchError) throw fail(err.message);
    throw fail((err as Error).message);
  }
  if (res.statusCode !== 200) {
    res.body.destroy();
    throw fail(`HTTP ${res.statusCode}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > opts.maxBytes) {
        res.body.destroy();
        throw badRequest(`${param}: the image is larger than ${opts.maxBytes} bytes`, param, 'image_too_large');
      }
      chunks.push(c as Buffer);
    }
  } catch (err) {
    if ((err as { status?: number }).status === 400) throw err;
    throw fail((err as Error).message);
  }
  return Buffer.concat(chunks);
}
