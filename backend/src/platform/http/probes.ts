/**
 * The routes probes and scrapers call, by template: liveness and readiness (served at the root and
 * under /api/v1, see app.ts) and the Prometheus scrape. Most of the requests, none of the insight:
 * they make no span (observability/http.ts), their request line is logged at debug
 * (request-log.ts), and they get the API's security headers (security-headers.ts).
 */
const PROBE_ROUTES: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/v1/healthz',
  '/api/v1/readyz',
]);

export function isProbeRoute(route: string | undefined): boolean {
  return route !== undefined && PROBE_ROUTES.has(route);
}
