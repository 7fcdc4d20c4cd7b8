import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { healthResponse, readinessResponse, type Readiness } from '@hanger/contracts';
import type { Adapters } from '../../platform/runtime';

const CHECK_TIMEOUT_MS = 2_000;

async function check(fn: () => Promise<void>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthDeps {
  adapters: Pick<Adapters, 'database' | 'cache' | 'queue' | 'storage'>;
  runtime: Readiness['runtime'];
}

/** Liveness (the process answers) and readiness (every dependency answers; 503 names the ones down). */
export const healthRoutes: FastifyPluginCallbackZod<HealthDeps> = (
  app,
  { adapters, runtime },
  done,
) => {
  app.get(
    '/healthz',
    {
      schema: { tags: ['ops'], summary: 'Liveness', response: { 200: healthResponse } },
      config: { rateLimit: false },
      logLevel: 'warn',
    },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: database, cache, queue and storage',
        response: { 200: readinessResponse, 503: readinessResponse },
      },
      config: { rateLimit: false },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const [database, cache, queue, storage] = await Promise.all([
        check(() => adapters.database.ping()),
        check(() => adapters.cache.ping()),
        check(() => adapters.queue.ping()),
        check(() => adapters.storage.ping()),
      ]);
      const checks = { database, cache, queue, storage };
      const ok = Object.values(checks).every((c) => c === 'ok');
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks, runtime });
    },
  );
  done();
};
