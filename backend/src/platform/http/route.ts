import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** Cache for `routeTemplate` (platform/http/route.ts); read that instead. */
    routeTemplateCache: string | null;
  }
}

/** The route template label of a request that matched no route (keeps label sets bounded). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The matched route's template (`/api/v1/items/:id`), or `unmatched`. Read once per request: each
 * read of Fastify's `request.routeOptions` builds a fresh 12-field object, and the platform's
 * security-header, log, metrics and span hooks all want the template.
 */
export function routeTemplate(request: FastifyRequest): string {
  request.routeTemplateCache ??= request.routeOptions.url ?? UNMATCHED_ROUTE;
  return request.routeTemplateCache;
}

/** Declares the cache field, so every request object has the same shape. */
export const routeTemplatePlugin = fp(
  (app: FastifyInstance, _opts: Record<never, never>, done: (err?: Error) => void) => {
    app.decorateRequest('routeTemplateCache', null);
    done();
  },
  { name: 'hanger-route-template' },
);
