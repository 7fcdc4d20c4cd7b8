import { defineConfig } from 'vitest/config';

/**
 * The NGINX-fronted services topology (`npm run services:up`), tested from outside. Not part of
 * `npm test`: it needs PostgreSQL, Redis and NGINX on this machine. CI runs it on its own:
 *   npx vitest run --config backend/topology/vitest.config.ts
 */
export default defineConfig({
  test: {
    name: 'topology',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
