import pino, { type Logger, type LoggerOptions } from 'pino';
import { RotatingFile } from './rotating-file.js';

export type { Logger };

/**
 * Keys whose values must never reach a log line, wherever they sit in a logged object.
 * Message bodies are not secrets but are kept out of info-level lines by convention:
 * log them only with logger.debug.
 */
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'encodingAesKey',
  '*.encodingAesKey',
  'apiToken',
  '*.apiToken',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'apiKeys',
  '*.apiKeys',
  'corpsecret',
  '*.corpsecret',
  'metricsToken',
  '*.metricsToken',
  // WXCOZE_WECOM_PROXY may carry the proxy's user and password.
  'proxy',
  '*.proxy',
];

export interface LoggerSetup {
  level?: string;
  /** Append JSON lines to this file as well as stdout. */
  file?: string;
  /** Rotate `file` by size (WXCOZE_LOG_MAX_SIZE × WXCOZE_LOG_FILES); unset: one growing file. */
  rotation?: { maxBytes: number; files: number };
  /**
   * Write to stdout too (default). Off for a daemon: its stdout is not kept, the file is the log
   * (a second copy of every line in a file of its own would grow unrotated).
   */
  stdout?: boolean;
  /** Pretty output on stdout (a terminal); JSON otherwise. */
  pretty?: boolean;
}

/** What every wxcoze log line carries, whichever thread writes it (see `src/log/thread-lines.ts`). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { app: 'wxcoze' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(setup: LoggerSetup = {}): Logger {
  const level = setup.level ?? process.env.WXCOZE_LOG_LEVEL ?? 'info';
  const options = loggerOptions(level);
  const streams: pino.StreamEntry[] = [];
  if (setup.pretty) {
    streams.push({
      level: level as pino.Level,
      stream: pino.transport({
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss' },
      }),
    });
  } else if (setup.stdout !== false) {
    streams.push({ level: level as pino.Level, stream: pino.destination({ fd: 1, sync: false }) });
  }
  if (setup.file) {
    const stream = setup.rotation
      ? new RotatingFile({
          file: setup.file,
          ...setup.rotation,
          // Written to stderr, not the logger: it is the logger's own file that failed.
          onError: (err) =>
            process.stderr.write(`wxcoze: could not write the log file ${setup.file}: ${err.message}\n`),
        })
      : pino.destination({ dest: setup.file, mkdir: true, sync: false });
    streams.push({ level: level as pino.Level, stream });
  }
  if (level === 'silent') return pino({ ...options, level: 'silent' });
  return pino(options, pino.multistream(streams));
}

/** A logger that drops everything: for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
