/**
 * Image bytes of an `image_url` part: a base64 `data:` URL (what Open-WebUI sends), or an https
 * URL downloaded here (undici, no redirects, size and time limits). The bytes decide the type,
 * because Coze rejects a file whose extension lies about it.
 */
import { fileTypeFromBuffer } from 'file-type';
import { request, type Dispatcher } from 'undici';
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
  /** For tests (a TLS agent trusting a test certificate). */
  dispatcher?: Dispatcher;
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

async function download(url: string, param: string, opts: ImageLoadOptions): Promise<Buffer> {
  const timeout = opts.timeoutMs ?? 15_000;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, { method: 'GET', signal: opts.signal, headersTimeout: timeout, bodyTimeout: timeout, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) });
  } catch (err) {
    throw badRequest(`${param}: the image could not be downloaded (${(err as Error).message})`, param, 'image_download_failed');
  }
  if (res.statusCode !== 200) {
    res.body.destroy();
    throw badRequest(`${param}: the image URL answered HTTP ${res.statusCode}`, param, 'image_download_failed');
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
    throw badRequest(`${param}: the image download failed (${(err as Error).message})`, param, 'image_download_failed');
  }
  return Buffer.concat(chunks);
}
