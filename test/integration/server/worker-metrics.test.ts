/** Finished jobs are counted by the worker hooks, on a real queue backend. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { QueueSystem, type JobHandlers } from '../../../src/queue/index.js';
import { workerMetricsHooks } from '../../../src/server/adapters/worker-metrics.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { REDIS_URL, redisAvailable, uniqueName } from '../../support/services.js';

const ok = await redisAvailable();

describe.skipIf(!ok)('workerMetricsHooks', () => {
  let queues: QueueSystem;
  const metrics = createMetrics({ processMetrics: false });
  const seen: string[] = [];

  beforeAll(async () => {
    queues = await QueueSystem.open({ backend: { kind: 'redis', url: REDIS_URL }, prefix: `{${uniqueName('dwwm')}}`, logger: pino({ level: 'silent' }) });
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
      hooks: workerMetricsHooks(metrics, { onSucceeded: (q, c) => void seen.push(`${q}:${c}:ok`) }),
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
  });
});
