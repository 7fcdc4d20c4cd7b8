import type { FastifyBaseLogger } from 'fastify';
import type {
  Bindings,
  ChildLoggerOptions,
  Level,
  LevelWithSilentOrString,
  LogFn,
  Logger,
} from 'pino';

/**
 * A request's logger that becomes a pino child only when it first writes a line.
 *
 * Fastify gives every request `logger.child({ requestId })`, and a pino child with redaction and
 * serializers costs more than the rest of a small request (bench:http). Most requests never log
 * through it (the request line is written by platform/http/request-log.ts on the root logger), so
 * the child is made on the first enabled call instead: the same lines, the same bindings, and
 * nothing to pay when nothing is written.
 */
export class RequestLogger implements FastifyBaseLogger {
  #child: Logger | undefined;
  #threshold: number;

  constructor(
    private readonly root: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    this.#threshold = options.level ? root.levels.values[options.level]! : root.levelVal;
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.options.level ?? this.root.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger().level = level;
    this.#threshold = this.logger().levelVal;
  }

  isLevelEnabled(level: string): boolean {
    const value = this.root.levels.values[level];
    return value !== undefined && value >= this.#threshold;
  }

  /** The real child, made once. */
  private logger(): Logger {
    this.#child ??= this.root.child(this.bindings, this.options);
    return this.#child;
  }

  /** Writes through the real child when `method`'s level is enabled; makes nothing if not. */
  private emit(method: Level, args: unknown[]): void {
    if (this.root.levels.values[method]! < this.#threshold) return;
    this.logger()[method](...(args as Parameters<LogFn>));
  }

  // Fastify checks that a request logger has each of these as its own method.
  fatal(...args: unknown[]): void {
    this.emit('fatal', args);
  }
  error(...args: unknown[]): void {
    this.emit('error', args);
  }
  warn(...args: unknown[]): void {
    this.emit('warn', args);
  }
  info(...args: unknown[]): void {
    this.emit('info', args);
  }
  debug(...args: unknown[]): void {
    this.emit('debug', args);
  }
  trace(...args: unknown[]): void {
    this.emit('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a RequestLogger per request. */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, options);
}
