import { defineConfig } from 'vitest/config';

// Integration suites share Redis and PostgreSQL but isolate themselves (unique
// queue prefix, unique schema), so files may run in parallel; 2 cores here.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
