import { pino, type Logger, type LoggerOptions } from 'pino';
import { mergeTraceFields, traceLogFields } from '../observability/tracing';
import { redact } from './redact';

/** Query parameters that carry secrets; their values are replaced before a URL is logged. */
const SECRET_QUERY =
  /([?&](?:signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token|ticket|expires)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // traceId/spanId of the active span when tracing is on (an empty object otherwise).
    mixin: traceLogFields,
    mixinMergeStrategy: mergeTraceFields,
    formatters: {
      level: (label) => ({ level: label }),
      // Secrets are censored by platform/logging/redact.ts, not pino's `redact` (see there).
      log: redact,
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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const logger = destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
  // pino formats a child's bindings without `formatters`; censor them here (children inherit this).
  const child = logger.child; // eslint-disable-line @typescript-eslint/unbound-method -- called with `this`
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redact(bindings), options);
  } as Logger['child'];
  return logger;
}
