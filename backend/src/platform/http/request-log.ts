import type { FastifyInstance } from 'fastify';
import { redactUrl } from '../logging/logger';

/**
 * One JSON line per request (Fastify's own pair of lines is off): request id, method, redacted
 * URL, route template, status, duration and the user when known. Health probes log only at debug.
 */
export function registerRequestLog(app: FastifyInstance) {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics';
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
    if (!(request.log as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(level)) {
      done();
      return;
    }
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      userId: request.auth?.userId,
    };
    request.log[level](line, status >= 500 ? 'request failed' : 'request');
    done();
  });
}
