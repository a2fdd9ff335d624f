/**
 * (both) A worker process killed with SIGKILL in the middle of a sync, and again in the middle of a
 * write-back batch: after a new worker takes over, the store matches the sandbox, no note is
 * written twice and none is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import { warningRecordsPerKey } from './annotation-keys.js';
import { startHarness, type Harness } from './harness.js';
import { spawnWorker } from './spawn.js';

const redisOk = await redisAvailable();
const SETUPS = [
  { name: 'Redis queues', queues: 'redis', ok: redisOk },
  { name: 'PostgreSQL-backend queues on PGlite', queues: 'pglite', ok: true },
] as const;
/** A killed worker's job is taken over once its lock lapses. */
const LOCK_MS = '2000';

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
      h = await startHarness({ store: 'embedded', queues: setup.queues, deals: 100, workers: false, sandbox: { latencyMs: 10 } });
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    it('ends in the same state with nothing written twice and nothing lost', async () => {
      // Write-back batches take a while, so a kill lands between the CRM write and its record.
      h.sandbox.injectFaults([{ kind: 'latency', rate: 1, provider: 'hubspot', pathIncludes: '/objects/notes/batch/create', latencyMs: 1500 }]);

      let worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      const job = await h.queues.enqueue('sync', { connectionId: 'hs', mode: 'full', trigger: 'test' });
      await until(async () => {
        const c = await h.store.deals.count('hs');
        return c.open + c.closed > 0;
      }, 60_000, 'the first committed page');
      await worker.kill('SIGKILL');

      worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      await until(async () => (await h.store.findings.unwritten('hs', { statuses: ['pending'] })).length > 0, 90_000, 'a write-back in flight');
      await worker.kill('SIGKILL');

      worker = await spawnWorker(h, { DW_TEST_LOCK_MS: LOCK_MS });
      try {
        const outcomes = await h.queues.waitForAll(job, { timeoutMs: 120_000 });
        expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
        // Anything still due (the killed write-back's job is retried) is done before we look.
        await until(async () => (await h.store.findings.unwritten('hs')).length === 0, 60_000, 'every annotation written');
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
      const { perKey, strays } = warningRecordsPerKey(h.sandbox, 'hubspot', new Set(ledger.map((f) => f.annotationKey)));
      expect([...perKey].filter(([, n]) => n !== 1)).toEqual([]);
      expect(strays).toBe(0);
    }, 300_000);
  });
}
