import { pino, type Logger, type LoggerOptions } from 'pino';
import { traceLogText } from '../observability/tracing';
import { redact } from './redact';

/** Query parameters that carry secrets; their values are replaced before a URL is logged. */
const SECRET_QUERY =
  /([?&](?:signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token|ticket|expires)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

const isoTime = pino.stdTimeFunctions.isoTime;

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    // The time, and the active span's traceId and spanId when tracing is on and there is one.
    // More than the time: pino.multistream and transports, which read the time back from this
    // text (a stream's lastTime), would get the ids too. Neither is used here.
    timestamp: () => isoTime() + traceLogText(),
    formatters: {
      level: (label) => ({ level: label }),
      // Secrets are censored by platform/logging/redact.ts, not pino's `redact` (see there).
      log: redactLine,
    },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: (err: Error) => redact(pino.stdSerializers.err(err)),
    },
  };
}

/**
 * A line's own fields, censored. redact.ts walks plain objects only (a Date or a Buffer is written
 * by its own toJSON), so a class instance logged as the line (`log.info(credentials, '…')`) is
 * first copied into a plain object of its own fields, which are what pino writes of it.
 */
function redactLine(line: Record<string, unknown>): Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(line);
  return redact(proto === Object.prototype || proto === null ? line : { ...line });
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const logger = destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
  // pino formats a child's bindings without `formatters`; censor them here (children inherit this).
  const child = logger.child; // eslint-disable-line @typescript-eslint/unbound-method -- called with `this`
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redact(bindings), options);
  } as Logger['child'];
  return logger;
}
