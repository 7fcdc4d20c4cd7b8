import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Weak ETags on successful JSON GET responses under /api, with `If-None-Match` answered by 304.
 * The hash is over the serialised body, so it changes exactly when the representation does.
 */
export function registerEtags(app: FastifyInstance) {
  // A callback hook, not an async one: it runs on every response and mostly passes through.
  app.addHook('onSend', (request, reply, payload, done) => {
    done(null, withEtag(request, reply, payload));
  });
}

function withEtag(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if (request.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string') {
    return payload;
  }
  if (!request.url.startsWith('/api/') || reply.hasHeader('etag')) return payload;
  const type = reply.getHeader('content-type');
  if (typeof type !== 'string' || !type.startsWith('application/json')) return payload;
  const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
  reply.header('etag', etag);
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    reply.code(304);
    return '';
  }
  return payload;
}
