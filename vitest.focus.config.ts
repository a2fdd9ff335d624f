import { defineConfig } from 'vitest/config';

// The test files FOCUS names (comma-separated), for stryker.focus.config.mjs.
export default defineConfig({
  test: {
    include: (process.env.FOCUS ?? '').split(',').filter(Boolean),
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
