/** Two worker processes on one Redis share the work and run each job once. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRef } from '../../../src/queue/index.js';
import { redisAvailable } from '../../support/services.js';
import { startHarness, type Harness } from './harness.js';
import { spawnWorker, type SpawnedWorker } from './spawn.js';

const redisOk = await redisAvailable();

describe.skipIf(!redisOk)('two worker processes on one Redis', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 60, workers: false });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-scale-'));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every job exactly once, on either process', async () => {
    const journal = path.join(dir, 'journal.ndjson');
    let events: JobRef[] = [];
    const workers: SpawnedWorker[] = await Promise.all([
      spawnWorker(h, { DW_TEST_JOURNAL: journal }),
      spawnWorker(h, { DW_TEST_JOURNAL: journal }),
    ]);
    try {
      const syncs = [
        await h.queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'test' }),
        await h.queues.enqueue('sync', { connectionId: 'sf', mode: 'full', trigger: 'test' }),
      ];
      for (const s of syncs) expect((await h.queues.waitForAll(s, { timeoutMs: 120_000 })).filter((o) => o.state === 'failed')).toEqual([]);
      const deals = (await h.store.deals.loadOpen('hs')).slice(0, 20);
      events = await h.queues.enqueueMany(
        'events',
        deals.map((d, i) => ({
          connectionId: 'hs',
          eventId: `scale-${i}`,
          dealId: d.externalId,
          kind: 'changed' as const,
          occurredAt: new Date().toISOString(),
        })),
      );
      expect(events.length).toBeGreaterThan(10);
      for (const e of events) expect((await h.queues.waitFor(e, { timeoutMs: 60_000 })).state).toBe('completed');
    } finally {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    }
    const runs = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; queue: string; jobId: string });
    const perJob = new Map<string, number>();
    for (const r of runs) perJob.set(`${r.queue}/${r.jobId}`, (perJob.get(`${r.queue}/${r.jobId}`) ?? 0) + 1);
    expect([...perJob].filter(([, n]) => n > 1)).toEqual([]);
    expect(runs.filter((r) => r.queue === 'events')).toHaveLength(events.length);
    expect(new Set(runs.map((r) => r.pid)).size).toBe(2);
  }, 240_000);
});
