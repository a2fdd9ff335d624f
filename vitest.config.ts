import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files (pipeline runs with spawned workers, the digest's scheduled ticks), started
 * first so that none of them is the last thing running on one core while the other idles. Vitest
 * orders by the durations it cached from an earlier run, and without that cache (a clean clone, CI)
 * by file size, which puts these short-but-slow files last. Measured durations are in TESTING.md.
 */
const SLOWEST_FIRST = [
  'test/integration/pipeline/crash-recovery.test.ts',
  'test/integration/digest/digest.test.ts',
  'test/integration/pipeline/faults.test.ts',
  'test/integration/pipeline/redis-cluster.test.ts',
  'test/integration/pipeline/sync-progress.test.ts',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = SLOWEST_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return i === -1 ? SLOWEST_FIRST.length : i;
    };
    // Stable: the rest keep Vitest's own order.
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

// Integration suites share Redis and PostgreSQL but isolate themselves (unique
// queue prefix, unique schema), so files may run in parallel; 2 cores here.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { sequencer: SlowestFirst },
  },
});
