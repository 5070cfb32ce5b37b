/**
 * A base64 `data:` URL decoded in slices, yielding to the event loop between them: decoding a
 * 5 MB image URL in one go (whitespace removal, validation, base64) held the loop as long as
 * parsing the request itself, during which no WeCom callback is answered.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { badRequest } from './errors.js';

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),/i;
const BASE64_SLICE = /^[A-Za-z0-9+/_-]*$/;
/** Characters per slice: a multiple of 4, so each slice decodes on its own (~1 ms each). */
const SLICE = 256 * 1024;

export async function decodeDataUrl(url: string, param: string, maxBytes: number): Promise<Buffer> {
  const m = DATA_URL.exec(url.slice(0, 1024));
  if (!m || !/;base64/i.test(m[2] ?? ''))
    throw badRequest(
      `${param} is not a base64 data URL (data:image/png;base64,…)`,
      param,
      'invalid_image_url',
    );
  let b64 = url.slice(m[0].length);
  if (/\s/.test(b64)) b64 = b64.replace(/\s+/g, '');
  const body = b64.replace(/={1,2}$/, '');
  if (!body || body.length % 4 === 1)
    throw badRequest(`${param} has no valid base64 data`, param, 'invalid_image_url');
  if (b64.length * 0.75 > maxBytes + 3)
    throw badRequest(`${param} is larger than ${maxBytes} bytes`, param, 'image_too_large');
  const out = Buffer.allocUnsafe(Math.floor((body.length * 3) / 4));
  let written = 0;
  for (let at = 0; at < body.length; at += SLICE) {
    if (at > 0) await nextTurn();
    const slice = body.slice(at, at + SLICE);
    if (!BASE64_SLICE.test(slice))
      throw badRequest(`${param} has no valid base64 data`, param, 'invalid_image_url');
    // base64url ('-', '_') is accepted as before; Node decodes both alphabets.
    written += out.write(slice, written, 'base64');
  }
  return out.subarray(0, written);
}
