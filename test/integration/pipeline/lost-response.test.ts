/**
 * The "lost response": the CRM applies a create and the answer never arrives (the connection is
 * reset after the commit). The write-back reports the batch failed (the connectors do not retry an
 * ambiguous create in-process), the job is retried, and the retry looks the keys up before writing:
 * each deal ends with exactly one record in the CRM and its ledger row `written`.
 * Salesforce with Tasks (sObject Collections create), HubSpot with notes (batch create), and
 * Salesforce with Enhanced Notes (ContentNote create lost; the retry links the notes it finds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnnotationBatch, AnnotationResult, CrmConnector } from '../../../connectors/types.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { FaultRule } from '../../../src/sandbox/index.js';
import { startSandbox } from '../../../src/sandbox/index.js';
import { redisAvailable } from '../../support/services.js';
import { isApprovalKey, openRecordsPerDeal, warningRecordsPerKey, warningsOnly, writtenRecords } from './warning-records.js';
import { startHarness, total, type Harness } from './harness.js';

const redisOk = await redisAvailable();

describe('the sandbox lost_response fault', () => {
  it('applies the create, then resets the connection instead of answering; settable through the admin API', async () => {
    const sb = await startSandbox({ deals: 20, seed: 4, now: new Date('2026-11-26T12:00:00Z'), rateLimit: false });
    try {
      const put = await fetch(`${sb.adminUrl}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spec: 'lost_response:1@hubspot^POST~/objects/notes' }),
      });
      expect(await put.json()).toEqual([
        { kind: 'lost_response', rate: 1, provider: 'hubspot', method: 'POST', pathIncludes: '/objects/notes' },
      ]);
      const deal = sb.state.hubspot.deals[0]!;
      const before = sb.state.annotations.filter((a) => a.kind === 'note').length;
      const create = fetch(`${sb.hubspot.baseUrl}/crm/v3/objects/notes/batch/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sb.hubspot.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            {
              properties: { hs_timestamp: '2026-11-26T12:00:00.000Z', hs_note_body: 'lost answer' },
              associations: [{ to: { id: String(deal.id) }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 214 }] }],
            },
          ],
        }),
      });
      await expect(create).rejects.toThrow();
      // Applied: the note exists and the call log names the fault with the status the handler chose.
      expect(sb.state.annotations.filter((a) => a.kind === 'note').length).toBe(before + 1);
      expect(sb.state.calls.filter((c) => c.fault === 'lost_response').map((c) => [c.method, c.status])).toEqual([['POST', 201]]);
      // Other methods on the same surface answer.
      const read = await fetch(`${sb.hubspot.baseUrl}/crm/v3/objects/notes?limit=1`, {
        headers: { authorization: `Bearer ${sb.hubspot.accessToken}` },
      });
      expect(read.status).toBe(200);
    } finally {
      await sb.close();
    }
  });
});

const CASES: { connectionId: 'sf' | 'hs'; provider: 'salesforce' | 'hubspot'; kind: 'task' | 'note'; fault: FaultRule; notes?: true }[] = [
  {
    connectionId: 'sf',
    provider: 'salesforce',
    kind: 'task',
    // The POST creates Tasks; the PATCH of score/flags on the same path is left alone.
    fault: { kind: 'lost_response', rate: 1, provider: 'salesforce', method: 'POST', pathIncludes: '/composite/sobjects' },
  },
  {
    connectionId: 'hs',
    provider: 'hubspot',
    kind: 'note',
    fault: { kind: 'lost_response', rate: 1, provider: 'hubspot', method: 'POST', pathIncludes: '/objects/notes/batch/create' },
  },
  {
    connectionId: 'sf',
    provider: 'salesforce',
    kind: 'note',
    // warningRecord 'note': the ContentNote create's answer is lost (its link is never sent).
    fault: { kind: 'lost_response', rate: 1, provider: 'salesforce', method: 'POST', pathIncludes: '/composite/sobjects' },
    notes: true,
  },
];

for (const c of CASES) {
  describe.skipIf(!redisOk)(`write-back through lost responses (${c.provider}, ${c.kind}s)`, () => {
    let h: Harness;
    /** What the connector reported for the batch whose answers were lost. */
    const lost: AnnotationResult[] = [];
    beforeAll(async () => {
      h = await startHarness({
        store: 'embedded',
        queues: 'redis',
        deals: 60,
        wrapConnector: (connector, settings) => {
          if (settings.id !== c.connectionId) return connector;
          return new Proxy(connector, {
            get(target, prop) {
              if (prop !== 'annotate') return Reflect.get(target, prop) as unknown;
              return async (batch: AnnotationBatch, signal?: AbortSignal) => {
                const result = await target.annotate(batch, signal);
                // The first write-back's creates are applied and their answers lost; then the fault is cleared.
                if (batch.warnings.length > 0 && lost.length === 0) {
                  lost.push(result);
                  h.sandbox.injectFaults([]);
                }
                return result;
              };
            },
          }) as CrmConnector;
        },
      });
      if (c.notes) {
        const i = h.settings.findIndex((s) => s.id === c.connectionId);
        h.settings[i] = ConnectionSettings.parse({ ...h.settings[i], warningRecord: 'note' });
      }
      h.sandbox.injectFaults([c.fault]);
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    it('leaves exactly one record per deal and every ledger row written', async () => {
      const first = await h.sync(c.connectionId, 'full');
      expect(first.filter((o) => o.state === 'failed')).toEqual([]);

      // The first batch was applied in the CRM but reported failed (retryable) as a whole.
      expect(lost).toHaveLength(1);
      // Warning records; the deals' approval tasks (key dwa-...) are created in their own request
      // where warnings are notes (HubSpot: not faulted here; Salesforce: lost as well).
      const firstBatch = [...lost[0]!.warnings].filter(([key]) => !isApprovalKey(key)).map(([, o]) => o);
      const approvals = [...lost[0]!.warnings.keys()].filter(isApprovalKey).length;
      expect(firstBatch.length).toBeGreaterThan(0);
      expect(firstBatch.every((o) => !o.ok && o.retryable)).toBe(true);
      const faulted = h.sandbox.state.calls.filter((call) => call.fault === 'lost_response');
      expect(faulted.length).toBeGreaterThan(0);
      expect(faulted.every((call) => call.method === 'POST')).toBe(true);
      // One create request per batch (200 Tasks, 100 notes): the connector did not retry the create itself.
      const requests =
        c.provider === 'hubspot'
          ? Math.ceil(firstBatch.length / 100)
          : c.notes
            ? Math.ceil(firstBatch.length / 200) + Math.ceil(approvals / 200)
            : Math.ceil((firstBatch.length + approvals) / 200);
      expect(faulted).toHaveLength(requests);

      // The next run: nothing left to write, nothing written twice.
      const second = await h.sync(c.connectionId, 'incremental');
      expect(second.filter((o) => o.state === 'failed')).toEqual([]);
      expect(total(second, 'writeback', 'notes') + total(second, 'writeback', 'tasks')).toBe(0);

      const ledger = await h.store.findings.openForDeals(c.connectionId);
      expect(ledger.length).toBeGreaterThan(0);
      expect(ledger.filter((f) => f.writeStatus !== 'written').map((f) => [f.annotationKey, f.writeStatus, f.writeError])).toEqual([]);
      const warningRecords = await h.store.findings.warningRecords(c.connectionId);
      const { perKey, strays } = warningRecordsPerKey(h.sandbox, c.provider, new Set(warningRecords.map((r) => r.recordKey)));
      expect([...perKey].filter(([, n]) => n !== 1)).toEqual([]);
      expect(strays).toBe(0);
      const records = warningsOnly(writtenRecords(h.sandbox, c.provider));
      expect(records).toHaveLength(new Set(ledger.map((f) => f.dealId)).size);
      expect([...openRecordsPerDeal(records).values()].every((n) => n === 1)).toBe(true);
      // The ledger holds the id of the record the CRM has (found by key, not a second one).
      const ids = new Set(records.map((r) => r.recordId));
      expect(ledger.filter((f) => !ids.has(f.externalId ?? ''))).toEqual([]);
    }, 240_000);
  });
}
