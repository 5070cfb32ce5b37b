import ipaddr from 'ipaddr.js';
import { request, type Dispatcher } from 'undici';
import { isPrivateAddress, outsideUrlAgent } from './public-agent.js';

/**
 * Why a URL someone else chose was not fetched. `message` is for the log only: it may name
 * internal addresses and ports, so callers show their user one generic sentence instead.
 */
export class OutsideFetchError extends Error {
  constructor(message: string, readonly status?: number) {
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
export async function fetchOutsideUrl(url: string, opts: OutsideFetchOptions): Promise<Dispatcher.ResponseData> {
  const dispatcher = opts.dispatcher ?? outsideUrlAgent(opts.allowPrivate);
  const maxRedirects = opts.maxRedirects ?? 3;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new OutsideFetchError('not a valid URL');
  }
  if (!(opts.schemes as string[]).includes(current.protocol)) throw new OutsideFetchError(`scheme ${current.protocol} is not accepted`);
  for (let hop = 0; ; hop++) {
    const host = current.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && ipaddr.isValid(host) && isPrivateAddress(host)) throw new OutsideFetchError(`${host} is a private or reserved address: not fetched`);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, { method: 'GET', signal: opts.signal, headersTimeout: opts.headersTimeout, bodyTimeout: opts.bodyTimeout, dispatcher });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new OutsideFetchError(`${current.host}: ${(err as Error).message}`);
    }
    if (!REDIRECT.has(res.statusCode)) return res;
    await res.body.dump().catch(() => {});
    const location = res.headers.location;
    if (typeof location !== 'string' || !location) throw new OutsideFetchError(`HTTP ${res.statusCode} without a Location`, res.statusCode);
    if (hop >= maxRedirects) throw new OutsideFetchError(`more than ${maxRedirects} redirects`, res.statusCode);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new OutsideFetchError('redirect to an invalid URL', res.statusCode);
    }
    if (!(opts.schemes as string[]).includes(next.protocol)) throw new OutsideFetchError(`redirect to ${next.protocol} refused`, res.statusCode);
    if (current.protocol === 'https:' && next.protocol !== 'https:') throw new OutsideFetchError(`redirect from https to ${next.protocol.slice(0, -1)}: refused (a downgrade)`, res.statusCode);
    current = next;
  }
}
