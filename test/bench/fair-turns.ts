/**
 * Fair turns: how long small connections' score jobs wait for a worker slot, alone, beside a big
 * connection's full sync (200 score chunks: 100,000 deals at 500 a chunk), and beside it with
 * plain first-in-first-out order (what the queues did before jobs took turns by round).
 *
 * Each job costs CHUNK_MS in the handler (a model of a 500-deal chunk; the queues, Redis and
 * BullMQ are real), two score slots as one worker process has by default. Needs Redis (REDIS_URL,
 * default redis://127.0.0.1:6379); keys under a unique prefix, removed at the end.
 *
 *   npm run bench -- fair-turns
 */
import { QueueSystem, type JobHandlers, type JobInput } from '../../src/queue/index.js';
import { REDIS_URL, uniqueName } from '../support/services.js';
import { silentLogger } from '../support/silent-logger.js';

const CHUNK_MS = Number(process.env.DW_BENCH_CHUNK_MS ?? 200);
const BIG_CHUNKS = 200;
const SMALL = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = silentLogger();

type Scenario = 'alone' | 'beside-big' | 'beside-big-fifo';

async function scenario(name: Scenario): Promise<{ scenario: Scenario; smallWaitMs: number[]; maxMs: number; meanMs: number }> {
  const queues = await QueueSystem.open({
    backend: { kind: 'redis', url: REDIS_URL },
    prefix: uniqueName('{dwbenchfair}'),
    logger: silent,
  });
  const startedAt = new Map<string, number>();
  const unused = () => Promise.reject(new Error('not in this benchmark'));
  const handlers: JobHandlers = {
    sync: unused,
    events: unused,
    digest: unused,
    writeback: unused,
    score: async (p) => {
      if (!startedAt.has(p.connectionId)) startedAt.set(p.connectionId, Date.now());
      await sleep(CHUNK_MS);
      return { connectionId: p.connectionId, scored: p.dealIds.length, opened: 0, resolved: 0, followUps: [] };
    },
  };
  const chunk = (connectionId: string, index: number): JobInput<'score'> => ({
    connectionId,
    dealIds: [`${connectionId}-${index}`],
    runId: 1,
    runStartedAt: '2026-12-01T00:00:00.000Z',
    chunk: index,
  });
  try {
    if (name !== 'alone') {
      const big = Array.from({ length: BIG_CHUNKS }, (_, i) => chunk('big', i));
      if (name === 'beside-big') await queues.enqueueMany('score', big);
      // First-in-first-out: the same jobs without a priority.
      else await queues.queue('score').addBulk(big.map((data, i) => ({ name: 'score', data, opts: { jobId: `big-${i}` } })));
    }
    const group = queues.startWorkers(handlers, { queues: ['score'], concurrency: { score: 2 } });
    await sleep(1_000);
    const asked = new Map<string, number>();
    for (let i = 0; i < SMALL; i++) {
      const id = `small${i}`;
      asked.set(id, Date.now());
      const data = chunk(id, 0);
      if (name === 'beside-big-fifo') await queues.queue('score').add('score', data, { jobId: `${id}-0` });
      else await queues.enqueue('score', data);
      await sleep(200);
    }
    while ([...asked.keys()].some((id) => !startedAt.has(id))) await sleep(20);
    await group.close({ graceMs: 0 });
    const waits = [...asked].map(([id, at]) => startedAt.get(id)! - at);
    return {
      scenario: name,
      smallWaitMs: waits,
      maxMs: Math.max(...waits),
      meanMs: Math.round(waits.reduce((a, b) => a + b, 0) / waits.length),
    };
  } finally {
    await queues.obliterate().catch(() => undefined);
    await queues.close();
  }
}

const results = [];
for (const name of ['alone', 'beside-big', 'beside-big-fifo'] as const) {
  const result = await scenario(name);
  console.error(`${name}: small connections waited ${result.smallWaitMs.join(', ')} ms (max ${result.maxMs})`);
  results.push(result);
}
console.log(
  JSON.stringify({ bench: 'fair-turns', chunkMs: CHUNK_MS, bigChunks: BIG_CHUNKS, smallConnections: SMALL, scoreSlots: 2, results }),
);
