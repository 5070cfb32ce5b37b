import ipaddr from 'ipaddr.js';
import type { Dispatcher } from 'undici';
import { undici } from './undici.js';
import { isPrivateAddress, outsideUrlAgent } from './public-agent.js';

/**
 * Why a URL someone else chose was not fetched. `message` is for the log only: it may name
 * internal addresses and ports, so callers show their user one generic sentence instead.
 */
export class OutsideFetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export interface OutsideFetchOptions {
  allowPrivate: boolean;
  /** Schemes the first URL may have; a redirect may never go from https to http. */
  schemes: ('https:' | 'http:')[];
  signal?: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
  /** Redirect hops followed, each checked like the first URL (default 3). */
  maxRedirects?: number;
  /** For tests (a TLS agent trusting a test certificate); the address check is then the agent's. */
  dispatcher?: Dispatcher;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/**
 * GET of a URL chosen by a bot answer or an API client. Redirects are followed by hand, at most
 * `maxRedirects`, each hop re-checked: its scheme (no https → http downgrade, nothing but
 * http/https), an IP literal host before any connection, and the agent's DNS and connect checks.
 * Resolves with the first non-redirect response (any status: the caller decides).
 */
export async function fetchOutsideUrl(
  url: string,
  opts: OutsideFetchOptions,
): Promise<Dispatcher.ResponseData> {
  const dispatcher = opts.dispatcher ?? (await outsideUrlAgent(opts.allowPrivate));
  const { request } = await undici();
  const maxRedirects = opts.maxRedirects ?? 3;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new OutsideFetchError('not a valid URL');
  }
  if (!(opts.schemes as string[]).includes(current.protocol))
    throw new OutsideFetchError(`scheme ${current.protocol} is not accepted`);
  for (let hop = 0; ; hop++) {
    const host = current.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && ipaddr.isValid(host) && isPrivateAddress(host))
      throw new OutsideFetchError(`${host} is a private or reserved address: not fetched`);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: 'GET',
        signal: opts.signal,
        headersTimeout: opts.headersTimeout,
        bodyTimeout: opts.bodyTimeout,
        dispatcher,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new OutsideFetchError(`${current.host}: ${(err as Error).message}`);
    }
    if (!REDIRECT.has(res.statusCode)) return res;
    await res.body.dump().catch(() => {});
    const location = res.headers.location;
    if (typeof location !== 'string' || !location)
      throw new OutsideFetchError(`HTTP ${res.statusCode} without a Location`, res.statusCode);
    if (hop >= maxRedirects)
      throw new OutsideFetchError(`more than ${maxRedirects} redirects`, res.statusCode);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new OutsideFetchError('redirect to an invalid URL', res.statusCode);
    }
    if (!(opts.schemes as string[]).includes(next.protocol))
      throw new OutsideFetchError(`redirect to ${next.protocol} refused`, res.statusCode);
    if (current.protocol === 'https:' && next.protocol !== 'https:')
      throw new OutsideFetchError(
        `redirect from https to ${next.protocol.slice(0, -1)}: refused (a downgrade)`,
        res.statusCode,
      );
    current = next;
  }
}

export interface CappedFetchOptions extends OutsideFetchOptions {
  /** The body is read up to this many bytes; one more and the download is cut off. */
  maxBytes: number;
  /** Content types (without parameters) accepted; others are refused before the body is read. */
  acceptType?: RegExp;
}

export interface FetchedBytes {
  data: Buffer;
  /** The response's content type without parameters ('' when absent). */
  contentType: string;
}

/**
 * The bytes behind a URL someone else chose (a bot's answer image, an API client's image_url):
 * `fetchOutsideUrl`'s address and redirect checks, then HTTP 200 and an accepted type, then the
 * body streamed and cut off at `maxBytes` (a declared Content-Length over it is refused unread), so
 * a huge or endless file never sits in memory. Every failure is an `OutsideFetchError`
 * (`tooLarge` when the size was the reason), except an abort through `signal`.
 */
export async function fetchOutsideBytes(url: string, opts: CappedFetchOptions): Promise<FetchedBytes> {
  const res = await fetchOutsideUrl(url, opts);
  const contentType = String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  // Refused before reading: dump() drops the body (a destroy() nobody listens to would throw).
  const refuse = (err: OutsideFetchError): never => {
    res.body.dump().catch(() => {});
    throw err;
  };
  if (res.statusCode !== 200) refuse(new OutsideFetchError(`HTTP ${res.statusCode}`, res.statusCode));
  if (opts.acceptType && !opts.acceptType.test(contentType))
    refuse(new OutsideFetchError(`content type ${contentType || '(none)'} is not accepted`, res.statusCode));
  const tooLarge = () => new OutsideFetchError(`larger than ${opts.maxBytes} bytes`, res.statusCode, true);
  if (Number(res.headers['content-length'] ?? 0) > opts.maxBytes) refuse(tooLarge());
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      // Leaving the loop destroys the stream: the rest is never downloaded.
      if (size > opts.maxBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof OutsideFetchError || opts.signal?.aborted) throw err;
    throw new OutsideFetchError(`${new URL(url).host}: ${(err as Error).message}`, res.statusCode);
  }
  return { data: Buffer.concat(chunks), contentType };
}
