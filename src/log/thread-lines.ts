/**
 * Log lines written in another thread (the pipeline's worker, `src/server/pipeline-worker.ts`) end up
 * in the main thread's logger, so one process writes one stream: no two writers on one fd or file,
 * no line cut in half under load. The worker's pino serializes and redacts as usual (same options,
 * `loggerOptions`); only the finished lines cross, batched once per event-loop turn.
 */
import pino, { type DestinationStream } from 'pino';
import type { Logger } from './logger.js';
import { loggerOptions } from './logger.js';

/** [pino level number, serialized line (with its newline)]. */
export type ThreadLine = [number, string];

/** A logger whose lines are handed to `send` in batches instead of written. */
export function lineSendingLogger(
  level: string,
  send: (lines: ThreadLine[]) => void,
): { logger: Logger; flush: () => void } {
  let batch: ThreadLine[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!batch.length) return;
    const lines = batch;
    batch = [];
    send(lines);
  };
  // pino sets `lastLevel` on a destination that asks for metadata, before each write.
  const dest = {
    [pino.symbols.needsMetadataGsym]: true,
    lastLevel: 30,
    write(line: string) {
      batch.push([this.lastLevel, line]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  };
  return { logger: pino(loggerOptions(level), dest as unknown as DestinationStream), flush };
}

interface ThreadLineStream {
  write(line: string): void;
  lastLevel?: number;
  [key: symbol]: unknown;
}

/** Writes lines from another thread into `logger`'s own destination (its files, its level filters). */
export function writeThreadLines(logger: Logger, lines: ThreadLine[]): void {
  // pino keeps its destination behind a symbol; a multistream also reads the line's level from it.
  const stream = (logger as unknown as Record<symbol, ThreadLineStream | undefined>)[pino.symbols.streamSym];
  if (!stream?.write) return;
  const wantsLevel = stream[pino.symbols.needsMetadataGsym] === true;
  for (const [level, line] of lines) {
    if (level < logger.levelVal) continue;
    if (wantsLevel) stream.lastLevel = level; // a multistream picks its destinations by it
    stream.write(line);
  }
}
