/**
 * undici, imported at its first use rather than when a module that uses it loads. The HTTP thread
 * holds a WeCom and a Coze client (the console, the OpenAI API, health checks) that most servers
 * never call: undici's ~5 MB of heap (its index loads fetch, WebSocket, mocks and caches as well)
 * then stay out of that thread. The pipeline thread loads it at its first call, as before.
 */
type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

export function undici(): Promise<Undici> {
  return (loading ??= import('undici'));
}
