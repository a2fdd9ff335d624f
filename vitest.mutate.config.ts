import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant (see stryker.config.mjs): in-process only, so that a
// mutant's coverage is seen; the pipeline tests that spawn worker processes stay in `npm test`.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
