import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'backend/src/**/*.unit.test.ts',
            'backend/bench/**/*.unit.test.ts',
            'contracts/src/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['backend/src/**/*.test.ts', 'backend/test/**/*.test.ts'],
          exclude: ['**/*.unit.test.ts', '**/node_modules/**'],
          environment: 'node',
          globalSetup: ['backend/test/global-setup.ts'],
          // PGlite can hang rather than fail; a timeout turns that into a fast failure.
          testTimeout: 30_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      './frontend/vitest.config.ts',
    ],
  },
});
