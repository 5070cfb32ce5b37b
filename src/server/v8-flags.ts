/**
 * V8 heap settings for the long-running server. A small young generation and a capped old space
 * keep peak memory near the live set: with 1,000 customers waiting on Coze the peak RSS drops
 * from ~182 MB to ~135 MB (bench/RESULTS.md) at some CPU cost in garbage collection. The live heap
 * at that load is ~50 MB, so 192 MB leaves ample room. `--liftoff-only` keeps undici's HTTP parser
 * (llhttp, WebAssembly) on V8's baseline compiler: its optimizing compile took ~40 MB of scratch
 * memory for a moment at the first Coze call and left ~10 MB behind, at no measurable CPU cost
 * (parsing responses is a small part of a call). `--optimize-for-size` makes V8 favour memory over
 * speed (tighter heap growth, more compaction, less inlining): ~5 MB less at that peak, with the
 * same server CPU time in the bench's burst. They must be given to `node` itself (V8 reads
 * them at start): the systemd unit, the Dockerfile and `start --daemon` pass them.
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
