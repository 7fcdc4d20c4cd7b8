import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { isProbeRoute } from './probes';
import { UNMATCHED_ROUTE, routeTemplate } from './route';

/**
 * Helmet's headers, computed once. (@fastify/helmet rebuilds the helmet middleware — and re-parses
 * the CSP — on every request; the headers never change, so we capture them at start-up.)
 */
export function securityHeaders(options: HelmetOptions): Array<[string, string]> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return Object.entries(headers);
}

/**
 * Helmet for JSON: only the headers a browser acts on for a non-document response. `nosniff` stops
 * a response being sniffed into HTML or script, `default-src 'none'; frame-ancestors 'none'` gives
 * it no powers if it is ever rendered or framed, and CORP keeps other origins' no-cors loads out.
 * The rest of helmet's set (COOP, Origin-Agent-Cluster, X-Frame-Options, DNS prefetch, …) only
 * means something on a document, and each header costs every response (docs/benchmarks.md).
 */
export const API_SECURITY_HEADERS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  originAgentCluster: false,
  referrerPolicy: false,
  strictTransportSecurity: false,
  xContentTypeOptions: true,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** JSON API responses (and probes) get the API set; pages, the API docs and files get the document set. */
export function isApiRequest(request: FastifyRequest): boolean {
  const template = routeTemplate(request);
  const path = template === UNMATCHED_ROUTE ? request.url : template;
  // Probes answered outside /api/v1 are JSON too.
  return path.startsWith('/api/v1/') || isProbeRoute(path);
}

/**
 * Sets `x-request-id` and the security headers on every reply, in one hook: the document set
 * (full helmet, the SPA's CSP) or the API set.
 */
export function registerSecurityHeaders(
  app: FastifyInstance,
  options: { document: HelmetOptions; api: HelmetOptions },
) {
  const document = securityHeaders(options.document);
  const api = securityHeaders(options.api);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of isApiRequest(request) ? api : document) reply.header(name, value);
    done();
  });
}
