import type { Logger } from '../log/logger.js';

/** Lines logged per window; beyond that one summary line says how many were left out. */
const MAX_LINES_PER_WINDOW = 10;
const WINDOW_MS = 60_000;

/**
 * A listener for `unhandledRejection` that logs instead of letting Node end the process (its
 * default since Node 15). Every promise should be awaited or caught where it is made; this is the
 * safety net, so one forgotten catch on a database write cannot take every customer's answers down.
 * Bounded: a rejection firing in a loop writes at most MAX_LINES_PER_WINDOW lines a minute.
 */
export function unhandledRejectionLogger(
  logger: Logger,
  now: () => number = Date.now,
): (reason: unknown) => void {
  let windowStart = -Infinity;
  let logged = 0;
  let dropped = 0;
  return (reason) => {
    const t = now();
    if (t - windowStart >= WINDOW_MS) {
      if (dropped > 0)
        logger.error({ dropped }, `${dropped} more unhandled promise rejections were not logged`);
      windowStart = t;
      logged = 0;
      dropped = 0;
    }
    if (logged >= MAX_LINES_PER_WINDOW) {
      dropped += 1;
      return;
    }
    logged += 1;
    const err =
      reason instanceof Error
        ? { message: reason.message, stack: reason.stack }
        : { message: String(reason) };
    logger.error({ err }, 'unhandled promise rejection (a bug: please report it); wxcoze keeps running');
  };
}

/** Installs the listener for the life of a server; the returned function removes it. */
export function catchUnhandledRejections(logger: Logger): () => void {
  const listener = unhandledRejectionLogger(logger);
  process.on('unhandledRejection', listener);
  return () => {
    process.off('unhandledRejection', listener);
  };
}
