/**
 * V8 settings for the long-running server (bench/RESULTS.md, 1,000 customers waiting on a 5 s Coze):
 * - A small young generation and a capped old space keep peak memory near the live set, at some
 *   CPU cost in garbage collection (semi-space 1 MB: ~160 MB peak; 4 MB: ~172 MB; 16 MB: ~223 MB,
 *   measured without `--optimize-for-size`). The live heap at that load is ~40 MB in the pipeline
 *   thread and ~30 MB in the HTTP thread: 192 MB (each) is ample.
 * - `--liftoff-only` keeps undici's HTTP parser (llhttp, WebAssembly) on V8's baseline compiler:
 *   its optimizing compile took ~40 MB of scratch memory at the first Coze call and left ~10 MB
 *   behind, at no measurable CPU cost (parsing responses is a small part of a call).
 * - `--optimize-for-size` makes V8 favour memory over speed: ~5 MB less at that peak, server CPU
 *   within noise. It also keeps the young generation at its initial size (1 MB semi-spaces)
 *   whatever `--max-semi-space-size` says: a larger young generation needs it removed.
 * With these and SERVER_ENV the peak went from 171–180 MB to 155–158 MB.
 * They must be given to `node` itself (V8 reads them at start): the sh line of bin/wxcoze.js, the
 * systemd unit, the Dockerfile and `start --daemon` pass them.
 */
export const SERVER_V8_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=192',
  '--liftoff-only',
  '--optimize-for-size',
];

/**
 * The server's environment for the C library, read when the process starts (so also given by
 * whatever starts node: the sh line of bin/wxcoze.js, the relaunch, `start --daemon`, the systemd
 * unit, the Dockerfile). glibc gives each thread that allocates its own malloc arena (up to 8 per
 * core): the HTTP thread, the pipeline thread, V8's and libuv's helpers each keep freed memory in
 * their own. Two arenas cut the peak of 1,000 customers in flight by ~6 MB. A value the user set
 * is kept.
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** `env` with the server's C library settings added where the user has not set them. */
export function withServerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [k, v] of Object.entries(SERVER_ENV)) out[k] ??= v;
  return out;
}
