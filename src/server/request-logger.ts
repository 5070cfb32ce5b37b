/**
 * Each request's logger (`req.log`, with its reqId). Fastify makes a pino child per request; most
 * requests — every accepted WeCom callback at the default level — never write a line, and the child
 * (its bindings serialised, its object graph allocated) is a measurable part of a callback's cost.
 * This logger becomes that same pino child only when a line is written at an enabled level, so what
 * reaches the log is unchanged: same bindings (reqId), same level, same redaction.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Logger } from '../log/logger.js';

type Bindings = Record<string, unknown>;
type ChildOptions = Record<string, unknown>;
type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

class RequestLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly ownBindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private materialise(): Logger {
    return (this.real ??= this.parent.child(this.ownBindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    if (!(this.real ?? this.parent).isLevelEnabled(level)) return;
    const real = this.materialise();
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }

  get level(): string {
    return (this.real ?? this.parent).level;
  }
  set level(level: string) {
    this.materialise().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.real ?? this.parent).isLevelEnabled(level);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildOptions): Logger {
    return this.materialise().child(bindings, options);
  }
  bindings(): Bindings {
    return this.materialise().bindings();
  }
}

/**
 * fastify's `childLoggerFactory`. A route with its own log level or serializers gets pino's child at once
 * (its level differs from the parent's, so the parent cannot answer `isLevelEnabled` for it).
 */
export const requestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  childOptions,
) => {
  const parent = logger as unknown as Logger;
  const options = childOptions as ChildOptions;
  if (options.level !== undefined || options.serializers !== undefined)
    return parent.child(bindings, options) as unknown as FastifyBaseLogger;
  return new RequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
};
