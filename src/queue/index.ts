/** The queue module: the only code that knows BullMQ and its backend. */
export { chooseQueueBackend, type QueueBackendSpec } from './backend.js';
export * from './catalog.js';
export { describe as describeError, fateOf, type JobFate } from './fate.js';
export { QUEUE_NAMES, DEFAULT_QUEUE_PREFIX, jobIdOf, runTag, type QueueName } from './names.js';
export { plannedCapacity, RATE_MARGIN, subWindowPlan, type RateLimits, type SharedRateGate, type SubWindowPlan } from './rate-gate.js';
export {
  QueueSystem,
  oldestWaitingAge,
  type AttemptTiming,
  DEFAULT_CONCURRENCY,
  type EnqueuedJob,
  type JobOutcome,
  type QueueSystemOptions,
  type SyncScheduleEntry,
  type WorkerGroup,
  type WorkerGroupOptions,
  type WorkerHooks,
} from './system.js';
