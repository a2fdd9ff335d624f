/**
 * (both) A worker process killed with SIGKILL in the middle of a sync (some deal pages stored, not
 * all), and again in the middle of a write-back batch (the CRM has applied the notes' create, the
 * worker never read its answer): after a new worker takes over, the sync resumes from its stored
 * cursor, the store matches the sandbox, no note is written twice and none is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import { warningRecordsPerKey } from './warning-records.js';
import { startHarness, type Harness } from './harness.js';
import { spawnWorker } from './spawn.js';

const redisOk = await redisAvailable();
const SETUPS = [
  { name: 'Redis queues', queues: 'redis', ok: redisOk },
  { name: 'PostgreSQL-backend queues on PGlite', queues: 'pglite', ok: true },
] as const;
/**
 * A killed worker's job is taken over once its lock lapses (long enough that a busy host's live
 * worker keeps its lock: a job stalled twice fails).
 */
const LOCK_MS = '5000';

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const setup of SETUPS) {
  describe.skipIf(!setup.ok)(`SIGKILL mid-sync and mid-write-back (${setup.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      // No workers in the test process: spawned processes do the work.
      // Three deal pages (HubSpot lists 100 a page), so a kill can land between two of them.
      h = await startHarness({ store: 'embedded', queues: setup.queues, deals: 250, workers: false, sandbox: { latencyMs: 10 } });
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    it('ends in the same state with nothing written twice and nothing lost', async () => {
      const total = h.sandbox.state.hubspot.deals.length;
      // The deal list's requests (the history walk lists deals too, without their companies).
      const dealPages = () =>
        h.sandbox.state.calls.filter(
          (c) =>
            c.provider === 'hubspot' &&
            c.method === 'GET' &&
            c.path.includes('/crm/v3/objects/deals?') &&
            c.path.includes('associations=companies'),
        );
      // Each deal page takes a while, so the first kill lands after a page is stored and before the last.
      h.sandbox.injectFaults([
        { kind: 'latency', rate: 1, provider: 'hubspot', method: 'GET', pathIncludes: '/crm/v3/objects/deals?', latencyMs: 1000 },
      ]);

      let worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      const job = await h.queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'test' });
      // The cursor moves just after its page commits: wait for it, so the kill lands after a page
      // that a resumed sync must not read again.
      await until(async () => (await h.store.cursors.get('hs', 'deals'))?.walk != null, 60_000, 'the first committed page and its cursor');
      await worker.kill('SIGKILL');
      const storedAtKill = await h.store.deals.count('hs');
      expect(storedAtKill.open + storedAtKill.closed).toBeLessThan(total);
      const firstPagesBefore = dealPages().filter((c) => !c.path.includes('after=')).length;

      // The next worker takes the sync over from its stored cursor; its first write-back batch is
      // applied by the CRM at once and answered only much later, so the kill lands after the notes
      // exist and before the worker has read their ids (the ledger rows stay `pending`).
      const notes = () => h.sandbox.state.annotations.filter((a) => a.provider === 'hubspot' && a.kind === 'note').length;
      h.sandbox.injectFaults([
        {
          kind: 'slow_response',
          rate: 1,
          provider: 'hubspot',
          method: 'POST',
          pathIncludes: '/objects/notes/batch/create',
          latencyMs: 30_000,
        },
      ]);
      worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      await until(async () => notes() > 0, 90_000, 'a write-back batch applied by the CRM');
      await worker.kill('SIGKILL');
      expect((await h.store.findings.recordsDue('hs', { statuses: ['pending'] })).length).toBeGreaterThan(0);
      // The resumed sync did not start the deal list over.
      expect(dealPages().filter((c) => !c.path.includes('after=')).length).toBe(firstPagesBefore);
      h.sandbox.injectFaults([]);

      worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      try {
        const outcomes = await h.queues.waitForAll(job, { timeoutMs: 120_000 });
        expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
        // Anything still due (the killed write-back's job is retried) is done before we look.
        await until(async () => (await h.store.findings.recordsDue('hs')).length === 0, 60_000, 'every annotation written');
      } finally {
        await worker.kill('SIGTERM');
      }

      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await h.store.deals.list('hs', { state: 'all', limit: 1000, cursor });
        ids.push(...page.items.map((i) => i.deal.externalId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids.sort()).toEqual(h.sandbox.state.hubspot.deals.map((d) => String(d.id)).sort());

      const ledger = await h.store.findings.openForDeals('hs');
      expect(ledger.length).toBeGreaterThan(0);
      const { perKey, strays } = warningRecordsPerKey(
        h.sandbox,
        'hubspot',
        new Set((await h.store.findings.warningRecords('hs')).map((r) => r.recordKey)),
      );
      expect([...perKey].filter(([, n]) => n !== 1)).toEqual([]);
      expect(strays).toBe(0);
    }, 300_000);
  });
}
