/**
 * Fair turns: while a big connection's full sync has queued many score chunks (and write-backs),
 * a small connection's only chunk and its write-back start within seconds, on every backend: each
 * job's priority is its round of its connection's work, so round 0 of everyone runs before round 1
 * of anyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueSystem, type JobHandlers } from '../../../src/queue/index.js';
import { uniqueName } from '../../support/services.js';
import { BACKENDS, quietLogger } from './backends.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What one chunk costs here (a 500-deal chunk takes about a second on a real store). */
const CHUNK_MS = 150;
const BIG_CHUNKS = 30;

/** Score and write-back handlers that take CHUNK_MS and note when each job started. */
function timedHandlers(started: { queue: string; connectionId: string; at: number }[]): JobHandlers {
  const unused = () => Promise.reject(new Error('not in this test'));
  return {
    sync: unused,
    events: unused,
    digest: unused,
    score: async (p) => {
      started.push({ queue: 'score', connectionId: p.connectionId, at: Date.now() });
      await sleep(CHUNK_MS);
      return { connectionId: p.connectionId, scored: p.dealIds.length, opened: 0, resolved: 0, followUps: [] };
    },
    writeback: async (p) => {
      started.push({ queue: 'writeback', connectionId: p.connectionId, at: Date.now() });
      await sleep(CHUNK_MS);
      return { connectionId: p.connectionId, mode: 'on', fields: 0, notes: 0, tasks: 0, planned: 0, failed: 0, errors: [], followUps: [] };
    },
  };
}

for (const backend of BACKENDS) {
  describe.skipIf(!backend.available)(`fair turns between connections (${backend.name})`, () => {
    let queues: QueueSystem;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      const started = await backend.start();
      stop = started.stop;
      queues = await QueueSystem.open({ backend: started.spec, prefix: uniqueName('{dwfair}'), logger: quietLogger() });
    }, 60_000);
    afterAll(async () => {
      await queues?.obliterate().catch(() => undefined);
      await queues?.close();
      await stop?.();
    });

    it('runs a small connection’s chunk and write-back before the rest of a big sync’s backlog', async () => {
      const started: { queue: string; connectionId: string; at: number }[] = [];
      await queues.enqueueMany(
        'score',
        Array.from({ length: BIG_CHUNKS }, (_, chunk) => ({
          connectionId: 'big',
          dealIds: [`d${chunk}`],
          runId: 1,
          runStartedAt: '2026-12-01T00:00:00.000Z',
          chunk,
        })),
      );
      await queues.enqueueMany(
        'writeback',
        Array.from({ length: BIG_CHUNKS }, (_, round) => ({ connectionId: 'big', cause: `big-${round}`, round })),
      );
      const group = queues.startWorkers(timedHandlers(started), {
        queues: ['score', 'writeback'],
        concurrency: { score: 2, writeback: 2 },
      });
      try {
        // The big backlog is being worked on when the small connection's sync ends.
        await expect.poll(() => started.length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(4);
        const asked = Date.now();
        const score = await queues.enqueue('score', {
          connectionId: 'small',
          dealIds: ['s1'],
          runId: 2,
          runStartedAt: '2026-12-01T00:00:00.000Z',
          chunk: 0,
        });
        const writeback = await queues.enqueue('writeback', { connectionId: 'small', cause: 'small-0', round: 0 });
        await queues.waitFor(score, { timeoutMs: 30_000 });
        await queues.waitFor(writeback, { timeoutMs: 30_000 });
        for (const queue of ['score', 'writeback']) {
          const mine = started.filter((s) => s.queue === queue);
          const small = mine.findIndex((s) => s.connectionId === 'small');
          const bigBefore = mine.slice(0, small).filter((s) => s.at >= asked).length;
          // At most the jobs already polling for a slot start first; FIFO would run all 30 first.
          expect(bigBefore, `${queue}: big chunks started after the small one was asked`).toBeLessThanOrEqual(3);
          expect(mine[small]!.at - asked, `${queue}: wait of the small connection`).toBeLessThan(3_000);
        }
      } finally {
        await group.close({ graceMs: 1_000 });
      }
    }, 90_000);
  });
}
