/**
 * (both) A full sync of both providers writes each deal's warning record once (counted per ledger key in the
 * CRM); a second run with no changes writes nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { warningRecordsPerKey } from './warning-records.js';
import { startHarness, total, type Harness } from './harness.js';

const CONNECTIONS = ['hs', 'sf'];

const redisOk = await redisAvailable();
const postgresOk = await postgresAvailable();

const SETUPS = [
  { name: 'Redis queues, embedded store', store: 'embedded', queues: 'redis', ok: redisOk },
  { name: 'Redis queues, PostgreSQL store', store: 'postgres', queues: 'redis', ok: redisOk && postgresOk },
  { name: 'PostgreSQL-backend queues on PGlite', store: 'embedded', queues: 'pglite', ok: true },
] as const;

for (const setup of SETUPS) {
  describe.skipIf(!setup.ok)(`full sync then an unchanged re-sync (${setup.name})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ store: setup.store, queues: setup.queues, deals: 60 });
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    it('mirrors both sandboxes, annotates each finding once, and writes nothing the second time', async () => {
      for (const connectionId of CONNECTIONS) {
        const first = await h.sync(connectionId, 'full');
        expect(first.filter((o) => o.state === 'failed')).toEqual([]);
        const sync = first.find((o) => o.ref.queue === 'sync');
        expect(sync?.state === 'completed' && (sync.result as { status: string }).status).toBe('ok');
      }
      const book = h.sandbox.state;
      for (const connectionId of CONNECTIONS) {
        const stored = await h.store.deals.count(connectionId);
        expect(stored.open + stored.closed).toBe((connectionId === 'hs' ? book.hubspot : book.salesforce).deals.length);
      }

      const annotationsAfterFirst = h.sandbox.state.annotations.length;
      expect(annotationsAfterFirst).toBeGreaterThan(0);
      const openFindings = (await Promise.all(CONNECTIONS.map((c) => h.store.findings.openForDeals(c)))).flat();
      expect(openFindings.length).toBeGreaterThan(0);
      expect(openFindings.filter((f) => f.writeStatus !== 'written')).toEqual([]);
      // Each warning is in the CRM exactly once, and nothing was written without a ledger row.
      const ledgerKeys = new Set(
        (await Promise.all(CONNECTIONS.map((c) => h.store.findings.warningRecords(c)))).flat().map((r) => r.recordKey),
      );
      // One warning record per deal with findings, plus an approval task per open discount finding.
      expect(ledgerKeys.size).toBe(
        new Set(openFindings.map((f) => `${f.connectionId}/${f.dealId}`)).size +
          openFindings.filter((f) => f.ruleId === 'discount_over_limit').length,
      );
      const once = () => warningRecordsPerKey(h.sandbox, 'any', ledgerKeys);
      expect([...once().perKey].filter(([, n]) => n !== 1)).toEqual([]);
      expect(once().strays).toBe(0);

      for (const connectionId of CONNECTIONS) {
        const second = await h.sync(connectionId, 'incremental');
        expect(second.filter((o) => o.state === 'failed')).toEqual([]);
        expect(total(second, 'writeback', 'notes') + total(second, 'writeback', 'tasks') + total(second, 'writeback', 'fields')).toBe(0);
      }
      expect(h.sandbox.state.annotations.length).toBe(annotationsAfterFirst);
      expect([...once().perKey].filter(([, n]) => n !== 1)).toEqual([]);
    }, 150_000);
  });
}
