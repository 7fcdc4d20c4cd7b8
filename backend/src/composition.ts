import type { Logger } from 'pino';
import type { Config } from './config';
import type { SessionResolver } from './platform/auth/plugin';
import { AccessTokens } from './platform/auth/tokens';
import { createSessionResolver } from './modules/auth/session-resolver';
import { createAdapters, type AdapterOverrides, type Adapters } from './platform/runtime';

/** Everything a process needs: adapters, the job registry filled by every module, and services. */
export interface Runtime {
  config: Config;
  log: Logger;
  adapters: Adapters;
  tokens: AccessTokens;
  resolveSession: SessionResolver;
  /** Worker role: consume every queue, install schedules, recover and relay outbox jobs. */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The composition root. Modules are wired here, explicitly, each with exactly the dependencies it
 * uses; the same wiring runs in the all-in-one process, the API and the worker.
 */
export async function createRuntime(
  config: Config,
  log: Logger,
  overrides: AdapterOverrides = {},
): Promise<Runtime> {
  const adapters = await createAdapters(config, log, overrides);
  const { registry, outbox, queue } = adapters;
  const tokens = new AccessTokens(config.appSecret);

  registry
    .define({
      name: 'outbox.cleanup',
      handle: async ({ olderThanHours }, ctx) => {
        const n = await outbox.cleanup(olderThanHours);
        ctx.log.info({ deleted: n }, 'finished outbox rows removed');
      },
    })
    .schedule({
      id: 'outbox-cleanup',
      name: 'outbox.cleanup',
      everyMs: 60 * 60_000,
      payload: { olderThanHours: 72 },
    });

  const resolveSession: SessionResolver = createSessionResolver(adapters.database.db);

  registry.verify();

  let workerStarted = false;
  return {
    config,
    log,
    adapters,
    tokens,
    resolveSession,
    async startWorker() {
      if (workerStarted) return;
      workerStarted = true;
      await queue.startWorkers(outbox.hooks());
      await queue.startScheduler(registry.allSchedules());
      const recovered = await outbox.relay({ all: true });
      if (recovered > 0) log.info({ recovered }, 'unfinished jobs re-enqueued from the outbox');
      outbox.startRelay();
    },
    close: () => adapters.close(),
  };
}
