/**
 * Where the Coze client's Bearer token comes from: a fixed access token (a personal or service access
 * token, `COZE_API_TOKEN`), or short-lived tokens an OAuth service app obtains with a signed JWT
 * (`JwtOAuth`, ./oauth.ts). The client asks for a token before each request and reports one Coze
 * refused, so a provider that can get a new one does, and the request is made once more.
 */

export interface CozeAuth {
  /**
   * Who the conversations made with these tokens belong to: `token` for a fixed access token,
   * `oauth:<app id>` for a service app. A conversation stored under another identity may be out of
   * this one's reach (docs/protocol.md §coze-oauth-conversations).
   */
  readonly identity: string;
  /** The token for the next request. Rejects with a CozeError when none can be had (e.g. the app's key is refused). */
  token(): Promise<string>;
  /**
   * Coze refused `token`: 'auth' (4100, HTTP 401: not valid, or no longer) or 'permission' (4101).
   * Returns whether asking `token()` again may give a better one: a fixed token never changes; a
   * provider drops a token it issued and fetches another.
   */
  invalidate(token: string, refusal: 'auth' | 'permission'): Promise<boolean>;
}

/** The identity of a fixed token (`token`) or of the OAuth app `appId` (`oauth:<app id>`). */
export function authIdentity(oauthAppId?: string): string {
  return oauthAppId ? `oauth:${oauthAppId}` : 'token';
}

/** A personal or service access token: the same Bearer token for every request. */
export class StaticTokenAuth implements CozeAuth {
  readonly identity = authIdentity();
  // A true private field: the token never shows up when someone logs or inspects the provider.
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  token(): Promise<string> {
    return Promise.resolve(this.#token);
  }

  invalidate(): Promise<boolean> {
    return Promise.resolve(false);
  }
}
