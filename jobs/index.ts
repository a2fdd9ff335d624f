/** The pipeline's processors, one per queue, built from their dependencies. */
import type { JobHandlers } from '../src/queue/index.js';
import type { PipelineDeps } from './deps.js';
import { createDigestProcessor } from './digest.js';
import { createEventsProcessor } from './events.js';
import { BenchmarkCache, createScoreProcessor } from './score.js';
import { createSyncProcessor } from './sync.js';
import { createWritebackProcessor } from './writeback.js';

export { registryConnectors, type PipelineDeps, type ConnectorBuilder } from './deps.js';
export { connectionHealthHooks } from './health.js';

/** Every queue's processor; the catalog's `JobHandlers` type makes a missing one a compile error. */
export function createHandlers(deps: PipelineDeps): JobHandlers {
  const benchmarks = new BenchmarkCache();
  return {
    sync: createSyncProcessor(deps),
    events: createEventsProcessor(deps, benchmarks),
    score: createScoreProcessor(deps, benchmarks),
    writeback: createWritebackProcessor(deps),
    digest: createDigestProcessor(deps),
  };
}
