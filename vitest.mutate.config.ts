import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant (see stryker.config.mjs): in-process only, so that a
// mutant's coverage is seen; the pipeline tests that spawn worker processes stay in `npm test`.
// The full-size walks past HubSpot's 10,000-result search cap (about 40 s a run, and every mutant
// of paging.ts and mappers.ts reaches them) stay in `npm test` too: paging.test.ts walks the same
// splits at a cap of a few records.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/connectors/hubspot/search-cap.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
