/**
 * V8 heap settings for the long-running server. A small young generation and a capped old space
 * keep peak memory near the live set: with 1,000 customers waiting on Coze the peak RSS drops
 * from ~182 MB to ~135 MB (bench/RESULTS.md) at some CPU cost in garbage collection. The live heap
 * at that load is ~50 MB, so 192 MB leaves ample room. They must be given to `node` itself
 * (V8 reads them at start): the systemd unit, the Dockerfile and `start --daemon` pass them.
 */
export const SERVER_V8_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=192'];
