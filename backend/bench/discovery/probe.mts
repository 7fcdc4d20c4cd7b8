import { readFileSync } from 'node:fs';
import { buildApp } from '../../src/app';
import { createRuntime } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/platform/logging/logger';
const state = JSON.parse(readFileSync('/work/main/backend/bench/discovery/.state.json', 'utf8'));
const config = loadConfig({ APP_SECRET: state.appSecret, DATABASE_URL: state.databaseUrl, REDIS_URL: state.redisUrl, REDIS_PREFIX: state.redisPrefix, LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false', HANGER_DATA_DIR: '/tmp/probe', NODE_ENV: 'production', RATE_LIMIT_MAX: '1000000' });
const runtime = await createRuntime(config, createLogger('warn'));
const app = await buildApp(runtime);
await app.ready();
for (const u of state.benchUsers.slice(0, 8)) {
  const token = await runtime.tokens.sign({ userId: u.id, sessionId: u.sessionId }, 600);
  const t0 = performance.now();
  const res = await app.inject({ method: 'GET', url: '/api/v1/feed?limit=24', headers: { authorization: `Bearer ${token}` } });
  console.log('feed', res.statusCode, (performance.now() - t0).toFixed(1), 'ms', res.json().data?.length);
}
for (const q of ['q=jacket', 'lat=48.85&lng=2.35&radiusKm=10', 'q=jaket']) {
  for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  const res = await app.inject({ method: 'GET', url: `/api/v1/search?${q}&priceMax=${9000000 + i}` });
  console.log(q, res.statusCode, (performance.now() - t0).toFixed(1), 'ms');
  }
}
await app.close(); await runtime.close(); process.exit(0);
