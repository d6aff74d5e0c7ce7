/**
 * The per-request logger. Fastify makes a pino child of the root logger for every request, to
 * carry its reqId (the OpenHIM transaction id), though most requests log one line, the request
 * line, and nothing else; making a pino child costs more than formatting that line (its bindings
 * are serialized and its methods set up). This logger stands in for the child: the real child is
 * made the first time something logs through it, and the request line alone is written through
 * the root with the bindings first in its object, which pino serializes to the same text
 * (bindings follow pid and hostname either way).
 */
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type LogArgs = Parameters<Logger['info']>;

export class LazyRequestLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly ownBindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The pino child, made on first use. */
  get logger(): Logger {
    return (this.real ??= this.parent.child(this.ownBindings, this.options));
  }

  /** The request line: through the root while no child exists (same text), else the child. */
  requestLine(fields: Record<string, unknown>, message: string): void {
    if (this.real || this.options.level !== undefined || this.options.serializers !== undefined)
      this.logger.info(fields, message);
    else this.parent.info({ ...this.ownBindings, ...fields }, message);
  }

  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.real || this.options.level !== undefined
      ? this.logger.isLevelEnabled(level)
      : this.parent.isLevelEnabled(level);
  }

  fatal(...args: LogArgs): void {
    this.logger.fatal(...args);
  }
  error(...args: LogArgs): void {
    this.logger.error(...args);
  }
  warn(...args: LogArgs): void {
    this.logger.warn(...args);
  }
  info(...args: LogArgs): void {
    this.logger.info(...args);
  }
  debug(...args: LogArgs): void {
    this.logger.debug(...args);
  }
  trace(...args: LogArgs): void {
    this.logger.trace(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  bindings(): Bindings {
    return this.logger.bindings();
  }
}

/** Fastify's childLoggerFactory: a lazy child per request (see LazyRequestLogger). */
export function lazyChildLogger(logger: unknown, bindings: Bindings, options: ChildLoggerOptions): LazyRequestLogger {
  return new LazyRequestLogger(logger as Logger, bindings, options);
}
