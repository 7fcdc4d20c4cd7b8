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
    const line = {
      method: request.method,
      url: redactUrl(request.url),
      route,
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      userId: request.auth?.userId,
    };
    if (status >= 500) request.log.error(line, 'request failed');
    else if (quiet) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
    done();
  });
}
