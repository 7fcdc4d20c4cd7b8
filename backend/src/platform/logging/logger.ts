import { pino, type Logger, type LoggerOptions } from 'pino';
import { traceLogFields } from '../observability/tracing';

/** Paths pino blanks out on every line: credentials, cookies, tokens, signed URL signatures. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.secretAccessKey',
];

/** Query parameters that carry secrets; their values are replaced before a URL is logged. */
const SECRET_QUERY =
  /([?&](?:signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token|ticket|expires)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[REDACTED]');
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // traceId/spanId of the active span when tracing is on (an empty object otherwise).
    mixin: traceLogFields,
    formatters: { level: (label) => ({ level: label }) },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        id: req.id,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
