/**
 * The API instance under test for `npm run bench:realtime` (forked by realtime.ts): the real app
 * and worker (embedded runtime, or services when DATABASE_URL/REDIS_URL are set), listening on
 * loopback. Controlled over IPC so its RSS is measured without the load generator in it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app';
import { createRuntime } from '../src/composition';
import { loadConfig } from '../src/config';
import { sessions } from '../src/modules/auth/auth.table';
import { recordActivity } from '../src/modules/notifications';
import { users } from '../src/modules/users/users.table';
import { newId } from '../src/platform/ids';
import { createLogger } from '../src/platform/logging/logger';

type Command =
  | { cmd: 'seed'; recipients: number; actors: number }
  | { cmd: 'burst'; count: number }
  | { cmd: 'rss' }
  | { cmd: 'stop' };

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hanger-bench-rt-'));
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  HANGER_DATA_DIR: dataDir,
  SERVE_SPA: 'false',
  RATE_LIMIT_MAX: '1000000',
  MIGRATE_ON_START: 'true',
});
const log = createLogger(config.logLevel);
const runtime = await createRuntime(config, log);
await runtime.adapters.database.migrate();
const app = await buildApp(runtime);
await runtime.startWorker();
await app.listen({ port: 0, host: '127.0.0.1' });
const db = runtime.adapters.database.db;
const address = app.server.address();
let recipientIds: string[] = [];
let actorIds: string[] = [];

const send = (msg: unknown) => process.send?.(msg);

async function seed(recipients: number, actors: number) {
  const tokens: string[] = [];
  const make = async (n: number, prefix: string) => {
    const ids: string[] = [];
    const rows = [];
    const sess = [];
    for (let i = 0; i < n; i++) {
      const id = newId();
      ids.push(id);
      rows.push({ id, username: `${prefix}${i}_${id.slice(-6)}`, email: `${id}@bench.test` });
      sess.push({ id: newId(), userId: id, expiresAt: new Date(Date.now() + 86_400_000) });
    }
    for (let i = 0; i < rows.length; i += 500) {
      await db.insert(users).values(rows.slice(i, i + 500));
      await db.insert(sessions).values(sess.slice(i, i + 500));
    }
    return { ids, sess };
  };
  const r = await make(recipients, 'r');
  const a = await make(actors, 'a');
  recipientIds = r.ids;
  actorIds = a.ids;
  for (const s of r.sess)
    tokens.push(await runtime.tokens.sign({ userId: s.userId, sessionId: s.id }, 3600));
  return tokens;
}

/** `count` follow events in a few transactions: the outbox → worker → inbox → socket path. */
async function burst(count: number) {
  const started = Date.now();
  const perTx = 500;
  for (let done = 0; done < count; done += perTx) {
    await runtime.adapters.outbox.transaction(async (tx, emit) => {
      for (let i = done; i < Math.min(count, done + perTx); i++) {
        await recordActivity(tx, emit, {
          type: 'follow.created',
          actorId: actorIds[i % actorIds.length]!,
          subjectUserId: recipientIds[i % recipientIds.length]!,
          itemId: null,
          data: {},
        });
      }
    });
  }
  return { enqueueMs: Date.now() - started };
}

process.on('message', (m: Command) => {
  void (async () => {
    switch (m.cmd) {
      case 'seed':
        send({ cmd: 'seed', tokens: await seed(m.recipients, m.actors) });
        return;
      case 'burst':
        send({ cmd: 'burst', ...(await burst(m.count)) });
        return;
      case 'rss':
        send({
          cmd: 'rss',
          rss: process.memoryUsage().rss,
          sockets: runtime.services.realtime.hub.size,
          stats: runtime.services.realtime.hub.stats,
        });
        return;
      case 'stop':
        await app.close();
        await runtime.close();
        await fs.rm(dataDir, { recursive: true, force: true });
        process.exit(0);
    }
  })().catch((err: unknown) => {
    log.error({ err }, 'bench server command failed');
    process.exit(1);
  });
});

send({
  cmd: 'listening',
  port: typeof address === 'object' && address ? address.port : 0,
  runtime: config.runtime,
});
