import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmError } from '../../../src/domain/errors.js';
import { QueueSystem, type JobHandlers, type JobPayload } from '../../../src/queue/index.js';
import { detectSharedSession } from '../../../src/queue/backend.js';
import { uniqueName } from '../../support/services.js';
import { BACKENDS, quietLogger } from './backends.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Handlers that record their calls; each test overrides what it needs. */
function recordingHandlers(overrides: Partial<JobHandlers> = {}) {
  const calls: { queue: string; payload: unknown }[] = [];
  const handlers: JobHandlers = {
    sync: async (p) => {
      calls.push({ queue: 'sync', payload: p });
      return { connectionId: p.connectionId, runId: null, status: 'ok', deals: 0, activities: 0, apiCalls: 0, followUps: [] };
    },
    events: async (p) => {
      calls.push({ queue: 'events', payload: p });
      return { connectionId: p.connectionId, dealId: p.dealId, refetched: true, applied: true, followUps: [] };
    },
    score: async (p) => {
      calls.push({ queue: 'score', payload: p });
      return { connectionId: p.connectionId, scored: p.dealIds.length, opened: 0, resolved: 0, followUps: [] };
    },
    writeback: async (p) => {
      calls.push({ queue: 'writeback', payload: p });
      return { connectionId: p.connectionId, mode: 'on', fields: 0, notes: 0, tasks: 0, planned: 0, failed: 0, errors: [], followUps: [] };
    },
    digest: async (p) => {
      calls.push({ queue: 'digest', payload: p });
      return { connectionId: p.connectionId, digestId: p.digestId, tick: p.tick ?? '', sent: [], skipped: [], followUps: [] };
    },
    ...overrides,
  };
  return { calls, handlers };
}

const event = (over: Partial<JobPayload<'events'>> = {}) => ({
  connectionId: 'hs',
  eventId: 'e1',
  dealId: 'd1',
  kind: 'stage_change' as const,
  occurredAt: '2026-11-20T10:00:00.000Z',
  ...over,
});

for (const backend of BACKENDS) {
  describe.skipIf(!backend.available)(`queue system on ${backend.name}`, () => {
    let system: QueueSystem;
    let stop: () => Promise<void>;
    let spec: Parameters<typeof QueueSystem.open>[0]['backend'];
    let prefix: string;
    const logger = quietLogger();

    beforeAll(async () => {
      const started = await backend.start();
      stop = started.stop;
      spec = started.spec;
      prefix = uniqueName('{dwtest}');
      system = await QueueSystem.open({ backend: spec, prefix, logger });
    });

    afterAll(async () => {
      await system?.obliterate().catch(() => undefined);
      await system?.close({ graceMs: 1000 });
      await stop?.();
    });

    it('runs a job through its handler with the payload parsed by the catalog, and waits for it', async () => {
      const { calls, handlers } = recordingHandlers();
      const workers = system.startWorkers(handlers, { queues: ['sync'] });
      try {
        const job = await system.enqueue('sync', { connectionId: 'hs-a' });
        const outcome = await system.waitFor(job, { timeoutMs: 15_000 });
        expect(outcome.state).toBe('completed');
        expect(calls).toEqual([{ queue: 'sync', payload: { connectionId: 'hs-a', mode: 'incremental', trigger: 'schedule' } }]);
      } finally {
        await workers.close();
      }
    });

    it('refuses a payload the catalog does not accept, before enqueueing', async () => {
      await expect(system.enqueue('score', { connectionId: '', dealIds: [] })).rejects.toMatchObject({ code: 'QUEUE.BAD_PAYLOAD' });
    });

    it('collapses a webhook event delivered three times into one job', async () => {
      const { calls, handlers } = recordingHandlers();
      const first = await system.enqueue('events', event({ eventId: 'dup-1' }));
      const second = await system.enqueue('events', event({ eventId: 'dup-1' }));
      const other = await system.enqueue('events', event({ eventId: 'dup-2' }));
      const workers = system.startWorkers(handlers, { queues: ['events'] });
      try {
        await system.waitFor(first, { timeoutMs: 15_000 });
        await system.waitFor(other, { timeoutMs: 15_000 });
        const third = await system.enqueue('events', event({ eventId: 'dup-1' }));
        expect(second.jobId).toBe(first.jobId);
        expect(third.jobId).toBe(first.jobId);
        await sleep(300);
        expect(
          calls
            .filter((c) => c.queue === 'events')
            .map((c) => (c.payload as { eventId: string }).eventId)
            .sort(),
        ).toEqual(['dup-1', 'dup-2']);
      } finally {
        await workers.close();
      }
    });

    it('coalesces a second sync request for a connection while one is waiting or running', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let runs = 0;
      const { handlers } = recordingHandlers({
        sync: async (p) => {
          runs += 1;
          await gate;
          return { connectionId: p.connectionId, runId: null, status: 'ok', deals: 0, activities: 0, apiCalls: 0, followUps: [] };
        },
      });
      const workers = system.startWorkers(handlers, { queues: ['sync'] });
      try {
        const first = await system.enqueue('sync', { connectionId: 'co', mode: 'full', trigger: 'cli' });
        await waitUntil(() => runs === 1);
        const second = await system.enqueue('sync', { connectionId: 'co', trigger: 'cli' });
        expect(second.coalesced).toBe(true);
        expect(second.jobId).toBe(first.jobId);
        const otherConnection = await system.enqueue('sync', { connectionId: 'co-2', trigger: 'cli' });
        expect(otherConnection.coalesced).toBe(false);
        release();
        await system.waitFor(first, { timeoutMs: 15_000 });
        await system.waitFor(otherConnection, { timeoutMs: 15_000 });
        expect(runs).toBe(2);
        const later = await system.enqueue('sync', { connectionId: 'co', trigger: 'cli' });
        expect(later.coalesced).toBe(false);
        await system.waitFor(later, { timeoutMs: 15_000 });
        expect(runs).toBe(3);
      } finally {
        release();
        await workers.close();
      }
    });

    it(
      'lets typed errors decide: auth is unrecoverable, a rate limit delays without spending an ' + 'attempt, transient errors retry',
      async () => {
        const attempts = new Map<string, number>();
        const failedForGood: { connectionId: string; unrecoverable: boolean; reason: string }[] = [];
        const { handlers } = recordingHandlers({
          events: async (p, ctx) => {
            const n = (attempts.get(p.dealId) ?? 0) + 1;
            attempts.set(p.dealId, n);
            if (p.dealId === 'auth') throw new CrmError('CRM.AUTH', 'token revoked', { provider: 'hubspot', status: 401 });
            if (p.dealId === 'limited' && n === 1) {
              throw new CrmError('CRM.RATE_LIMITED', 'slow down', { provider: 'hubspot', status: 429, retryable: true, retryAfterMs: 200 });
            }
            if (p.dealId === 'flaky' && n === 1)
              throw new CrmError('CRM.TRANSIENT', 'bad gateway', { provider: 'hubspot', status: 502, retryable: true });
            return { connectionId: p.connectionId, dealId: p.dealId, refetched: true, applied: ctx.attempt > 0, followUps: [] };
          },
        });
        const workers = system.startWorkers(handlers, {
          queues: ['events'],
          hooks: {
            onFailedForGood: (_q, connectionId, reason, unrecoverable) => void failedForGood.push({ connectionId, reason, unrecoverable }),
          },
        });
        try {
          const auth = await system.enqueue('events', event({ eventId: 'f-auth', dealId: 'auth', connectionId: 'broken' }));
          const limited = await system.enqueue('events', event({ eventId: 'f-limited', dealId: 'limited' }));
          const flaky = await system.enqueue('events', event({ eventId: 'f-flaky', dealId: 'flaky' }));
          const authOutcome = await system.waitFor(auth, { timeoutMs: 15_000 });
          expect(authOutcome).toMatchObject({ state: 'failed', reason: expect.stringContaining('CRM.AUTH') });
          expect(attempts.get('auth')).toBe(1);
          expect(failedForGood).toEqual([{ connectionId: 'broken', unrecoverable: true, reason: 'CRM.AUTH: token revoked' }]);

          expect((await system.waitFor(limited, { timeoutMs: 15_000 })).state).toBe('completed');
          expect(attempts.get('limited')).toBe(2);
          const limitedJob = await system.queue('events').getJob(limited.jobId);
          // The delay spent no attempt: the one counted is the run that completed.
          expect(limitedJob?.attemptsMade).toBe(1);

          expect((await system.waitFor(flaky, { timeoutMs: 15_000 })).state).toBe('completed');
          expect(attempts.get('flaky')).toBe(2);
          // Failed jobs are kept for inspection.
          expect(await system.queue('events').getFailedCount()).toBe(1);
        } finally {
          await workers.close();
        }
      },
    );

    it('waits for a job and every job it caused', async () => {
      const { handlers } = recordingHandlers({
        sync: async (p) => {
          const scores = await system.enqueueMany('score', [
            { connectionId: p.connectionId, dealIds: ['a', 'b'], runId: 7, chunk: 0 },
            { connectionId: p.connectionId, dealIds: ['c'], runId: 7, chunk: 1 },
          ]);
          return { connectionId: p.connectionId, runId: 7, status: 'ok', deals: 3, activities: 0, apiCalls: 1, followUps: scores };
        },
        score: async (p) => {
          await sleep(100);
          const wb = await system.enqueue('writeback', { connectionId: p.connectionId, cause: `score-${p.chunk}` });
          return { connectionId: p.connectionId, scored: p.dealIds.length, opened: 1, resolved: 0, followUps: [wb] };
        },
      });
      const workers = system.startWorkers(handlers);
      try {
        const job = await system.enqueue('sync', { connectionId: 'tree' });
        const outcomes = await system.waitForAll(job, { timeoutMs: 20_000 });
        expect(outcomes.map((o) => `${o.ref.queue}:${o.state}`).sort()).toEqual([
          'score:completed',
          'score:completed',
          'sync:completed',
          'writeback:completed',
          'writeback:completed',
        ]);
      } finally {
        await workers.close();
      }
    });

    it('creates, fires, updates and removes the nightly-sync schedulers as the config changes', async () => {
      const { calls, handlers } = recordingHandlers();
      await system.reconcileSyncSchedulers([
        { connectionId: 'sched-a', cron: '*/1 * * * * *', timezone: 'Europe/Paris' },
        { connectionId: 'sched-b', cron: '0 2 * * *', timezone: 'UTC' },
      ]);
      const workers = system.startWorkers(handlers, { queues: ['sync'] });
      try {
        await waitUntil(() => calls.some((c) => (c.payload as { connectionId: string }).connectionId === 'sched-a'), 8_000);
        expect(calls.find((c) => (c.payload as { connectionId: string }).connectionId === 'sched-a')?.payload).toMatchObject({
          trigger: 'schedule',
          mode: 'incremental',
        });

        await system.reconcileSyncSchedulers([{ connectionId: 'sched-a', cron: '0 3 * * *', timezone: 'America/New_York' }]);
        const after = await system.listSchedulers();
        expect(after.map((s) => ({ connectionId: s.connectionId, cron: s.cron, timezone: s.timezone }))).toEqual([
          { connectionId: 'sched-a', cron: '0 3 * * *', timezone: 'America/New_York' },
        ]);
        await system.reconcileSyncSchedulers([]);
        expect(await system.listSchedulers()).toEqual([]);
      } finally {
        await workers.close();
      }
    });

    it('shares rate permits between gates of one connection (as two worker processes would)', async () => {
      // 10 per second: one per 111 ms sub-window (see subWindowPlan).
      const limits = { default: { requests: 10, perMs: 1_000 } };
      const gateA = system.rateGates.gateFor('rl-conn', limits);
      const gateB = system.rateGates.gateFor('rl-conn', limits);
      const other = system.rateGates.gateFor('rl-other', limits);
      const started = Date.now();
      await Promise.all([
        ...Array.from({ length: 5 }, () => gateA.take('default')),
        ...Array.from({ length: 5 }, () => gateB.take('default')),
      ]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(850);
      const t = Date.now();
      await Promise.all(Array.from({ length: 3 }, () => other.take('default')));
      expect(Date.now() - t).toBeLessThan(700);
    });

    it('hands a lease from one holder in this process to the next without polling, one at a time', async () => {
      const name = uniqueName('lease');
      let holders = 0;
      let most = 0;
      const order: number[] = [];
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          system.leases.withLease(name, async () => {
            holders += 1;
            most = Math.max(most, holders);
            order.push(i);
            await sleep(40);
            holders -= 1;
          }),
        ),
      );
      expect(most).toBe(1);
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
      // Polling the shared lease (250 ms a try) would take over a second for the five waiters.
      expect(Date.now() - started).toBeLessThan(900);
    });

    it('counts running workers in any process', async () => {
      // Another process's view: a second system on the same queues, with no workers of its own. On a
      // backend whose connections share one database session, no process can tell another's clients
      // apart, so there each process counts its own workers.
      const other = await QueueSystem.open({ backend: spec, prefix, logger });
      const { handlers } = recordingHandlers();
      const shared = spec.kind !== 'redis' && (await detectSharedSession(spec.url));
      const counter = shared ? system : other;
      const before = await counter.workerCount();
      const workers = system.startWorkers(handlers, { queues: ['sync'] });
      try {
        await workers.workers.get('sync')!.waitUntilReady();
        await waitUntil(async () => (await counter.workerCount()) === before + 1, 5_000);
      } finally {
        await workers.close();
        await other.close({ graceMs: 1000 });
      }
    });
  });
}

describe('shared-session detection', () => {
  it('sees PGlite behind pglite-socket as one shared session', async () => {
    const { startPglite } = await import('./backends.js');
    const pglite = await startPglite();
    try {
      expect(await detectSharedSession(pglite.url)).toBe(true);
    } finally {
      await pglite.stop();
    }
  });

  it.skipIf(!BACKENDS.find((b) => b.name === 'postgres')!.available)('sees a PostgreSQL server as one session per client', async () => {
    const { POSTGRES_URL } = await import('../../support/services.js');
    expect(await detectSharedSession(POSTGRES_URL)).toBe(false);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
