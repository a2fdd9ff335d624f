/** Finished jobs, attempt run times, waits and queue ages are counted by the worker hooks, on a real queue backend. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { workerMetricsHooks } from '../../../jobs/metrics.js';
import { createPipelineMetrics } from '../../../src/metrics.js';
import { QueueSystem, type JobHandlers } from '../../../src/queue/index.js';
import { REDIS_URL, redisAvailable, uniqueName } from '../../support/services.js';

const ok = await redisAvailable();

describe.skipIf(!ok)('workerMetricsHooks', () => {
  let queues: QueueSystem;
  const metrics = createPipelineMetrics(undefined, { processMetrics: false });
  const seen: string[] = [];

  beforeAll(async () => {
    queues = await QueueSystem.open({
      backend: { kind: 'redis', url: REDIS_URL },
      prefix: `{${uniqueName('dwwm')}}`,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await queues?.obliterate().catch(() => undefined);
    await queues?.close();
  });

  it('counts completed and failed jobs per queue and connection, and still calls the inner hooks', async () => {
    const handlers = {
      sync: async (p: { connectionId: string }) => {
        if (p.connectionId === 'broken') throw new ConfigError(['connections[broken]: wrong']);
        return { connectionId: p.connectionId, runId: null, status: 'ok', deals: 0, activities: 0, apiCalls: 0, followUps: [] };
      },
      events: async () => ({}),
      score: async () => ({}),
      writeback: async () => ({}),
    } as unknown as JobHandlers;
    const group = queues.startWorkers(handlers, {
      queues: ['sync'],
      hooks: workerMetricsHooks(metrics, { onSucceeded: (q: string, c: string) => void seen.push(`${q}:${c}:ok`) }),
    });
    try {
      const good = await queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'test' });
      const bad = await queues.enqueue('sync', { connectionId: 'broken', mode: 'full', trigger: 'test' });
      await queues.waitFor(good, { timeoutMs: 20_000 });
      await queues.waitFor(bad, { timeoutMs: 20_000 });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await group.close({ graceMs: 1_000 });
    }
    const text = await metrics.registry.metrics();
    expect(text).toContain('dealwatch_jobs_finished_total{queue="sync",connection="hs",outcome="completed"} 1');
    expect(text).toContain('dealwatch_jobs_finished_total{queue="sync",connection="broken",outcome="failed"} 1');
    expect(seen).toEqual(['sync:hs:ok']);
    // Each job waited once before its first attempt; each attempt's run time is observed by outcome.
    expect(text).toContain('dealwatch_job_wait_seconds_count{queue="sync"} 2');
    expect(text).toContain('dealwatch_job_run_seconds_count{queue="sync",outcome="completed"} 1');
    expect(text).toContain('dealwatch_job_run_seconds_count{queue="sync",outcome="failed"} 1');
  });

  it('reports the age of the oldest waiting job per queue, and none when nothing waits', async () => {
    metrics.observeQueues(
      () => queues.counts(),
      () => queues.oldestWaitingAges(),
    );
    expect(await queues.oldestWaitingAges()).toMatchObject({ score: null });
    await queues.enqueue('score', { connectionId: 'hs', dealIds: ['d1'], runId: 1, chunk: 0, refreshBenchmarks: false });
    const enqueuedAt = Date.now();
    const ages = await queues.oldestWaitingAges(enqueuedAt + 5_000);
    expect(ages.score).toBeGreaterThanOrEqual(4.5);
    expect(ages.score).toBeLessThan(10);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/dealwatch_queue_oldest_waiting_seconds\{queue="score"\} \d/);
    // Score jobs carry their connection's turn as a priority, so they wait as "prioritized".
    expect(text).toContain('dealwatch_queue_jobs{queue="score",state="prioritized"} 1');
  });
});
