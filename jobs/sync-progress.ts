/**
 * A sync's progress as its job reports it (BullMQ job progress): kept here as the sync goes and
 * sent at most once a second, and at every phase change, so that reporting costs a write a second
 * at most, not one per page.
 */
import type { ApiUsage, ConnectionSettings } from '../src/domain/model/index.js';
import { subWindowPlan, type JobContext, type SyncProgress } from '../src/queue/index.js';
import type { SyncCounts } from '../src/store/types.js';
import { rateLimitsOf } from '../connectors/registry.js';

const REPORT_EVERY_MS = 1_000;

/** Requests a second the connection's gate lets through on its default bucket, sustained. */
export function rateFloorOf(settings: ConnectionSettings): number {
  const limit = rateLimitsOf(settings).default ?? { requests: 10, perMs: 1_000 };
  const plan = subWindowPlan(limit);
  return (plan.subWindows * plan.perSubWindow * 1000) / limit.perMs;
}

export class SyncProgressReporter {
  private phase: SyncProgress['phase'] = 'metadata';
  private pages = 0;
  private waits = { count: 0, ms: 0 };
  private lastSent = 0;
  private sending: Promise<void> = Promise.resolve();
  private readonly startedMs = Date.now();
  private readonly requestsPerSecond: number;

  constructor(
    settings: ConnectionSettings,
    private readonly context: Pick<JobContext, 'reportProgress' | 'jobId'>,
    private readonly counts: Partial<SyncCounts>,
    private readonly usage: () => ApiUsage,
  ) {
    this.requestsPerSecond = rateFloorOf(settings);
  }

  /** The connector's rate gate held a call back `ms`. */
  readonly rateWait = (ms: number): void => {
    this.waits.count += 1;
    this.waits.ms += ms;
  };

  /** A new phase starts: reported now. */
  enter(phase: SyncProgress['phase']): Promise<void> {
    this.phase = phase;
    return this.send();
  }

  /** A page was stored: reported when the last report is a second old. */
  page(): Promise<void> {
    this.pages += 1;
    return Date.now() - this.lastSent >= REPORT_EVERY_MS ? this.send() : Promise.resolve();
  }

  snapshot(): SyncProgress {
    const usage = this.usage();
    return {
      phase: this.phase,
      records: {
        deals: this.counts.deals ?? 0,
        activities: this.counts.activities ?? 0,
        history: this.counts.history ?? 0,
        tombstones: this.counts.tombstones ?? 0,
      },
      pages: this.pages,
      apiCalls: usage.calls,
      rateLimited: usage.rateLimited,
      rateLimitWaits: { count: this.waits.count, seconds: round(this.waits.ms / 1000) },
      elapsedSeconds: round((Date.now() - this.startedMs) / 1000),
      rateFloor: { requestsPerSecond: round(this.requestsPerSecond), secondsForCallsSoFar: round(usage.calls / this.requestsPerSecond) },
    };
  }

  private send(): Promise<void> {
    if (!this.context.reportProgress) return Promise.resolve();
    this.lastSent = Date.now();
    const progress = this.snapshot();
    // One report at a time, in order; a report that fails fails the sync job (BullMQ retries it,
    // resuming from the last committed page), as the queue's store is not answering.
    this.sending = this.sending.then(() => this.context.reportProgress!(progress));
    return this.sending;
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
