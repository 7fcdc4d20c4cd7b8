import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Readiness } from '@hanger/contracts';
import { healthRoutes, type HealthDeps } from '../../modules/health/health.routes';
import type { Metrics } from './metrics';

export interface OpsServerOptions {
  metrics: Metrics;
  adapters: HealthDeps['adapters'];
  runtime: Readiness['runtime'];
  host: string;
  port: number;
}

/**
 * The private operations listener on METRICS_PORT: `/metrics` (no token: the port is reachable only
 * inside the cluster network), `/healthz` and `/readyz`. The worker, which has no public HTTP
 * server, gets its probes here; the API gets it when /metrics should not share the public port.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(healthRoutes, { adapters: options.adapters, runtime: options.runtime });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.render();
    return reply.header('cache-control', 'no-store').type(options.metrics.contentType()).send(body);
  });
  await app.listen({ host: options.host, port: options.port });
  return app;
}
