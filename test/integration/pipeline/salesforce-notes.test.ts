/**
 * The whole pipeline with a Salesforce connection set to `warningRecord: 'note'`: every new warning
 * becomes one Enhanced Note linked to its opportunity (no Task), and a re-run writes nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { AnnotationBatch, CrmConnector } from '../../../connectors/types.js';
import { noteRecord } from '../../../connectors/salesforce/annotate.js';
import { redisAvailable } from '../../support/services.js';
import { warningRecordsPerKey } from './warning-records.js';
import { startHarness, total, type Harness } from './harness.js';

const redisOk = await redisAvailable();

describe.skipIf(!redisOk)('salesforce write-back as notes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'redis', deals: 60 });
    const i = h.settings.findIndex((s) => s.id === 'sf');
    h.settings[i] = ConnectionSettings.parse({ ...h.settings[i], warningRecord: 'note' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('writes each warning once as a note on its opportunity, and nothing on a re-run', async () => {
    const first = await h.sync('sf', 'full');
    expect(first.filter((o) => o.state === 'failed')).toEqual([]);
    const ledger = await h.store.findings.openForDeals('sf');
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger.filter((f) => f.writeStatus !== 'written')).toEqual([]);
    // A deal's discount approval is a Task assigned to the approver even where warnings are notes.
    const allRecords = await h.store.findings.warningRecords('sf');
    const records = allRecords.filter((r) => r.kind === 'warning');
    const approvals = allRecords.filter((r) => r.kind === 'approval');
    const dealsWithFindings = new Set(ledger.map((f) => f.dealId));
    expect(records.map((r) => r.dealId).sort()).toEqual([...dealsWithFindings].sort());
    expect(total(first, 'writeback', 'notes')).toBe(records.length);
    expect(total(first, 'writeback', 'tasks')).toBe(approvals.length);

    const sf = () => h.sandbox.state.annotations.filter((a) => a.provider === 'salesforce');
    expect(sf().filter((a) => a.kind === 'task')).toHaveLength(approvals.length);
    const notes = sf().filter((a) => a.kind === 'note');
    expect(notes).toHaveLength(records.length);
    // One note on each deal with findings, and the ledger holds the note's id.
    const byDeal = new Map(records.map((r) => [r.dealId, r]));
    for (const note of notes) expect(byDeal.get(note.dealId)?.externalId).toBe(note.recordId);
    const { perKey, strays } = warningRecordsPerKey(h.sandbox, 'salesforce', new Set(allRecords.map((r) => r.recordKey)));
    expect(strays).toBe(0);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);

    const second = await h.sync('sf', 'incremental');
    expect(second.filter((o) => o.state === 'failed')).toEqual([]);
    expect(total(second, 'writeback', 'notes') + total(second, 'writeback', 'tasks')).toBe(0);
    expect(sf().filter((a) => a.kind === 'note')).toHaveLength(records.length);

    // dealwatch's notes are not activity: the pull reads Task and Event only, so the annotated
    // deals hold exactly the sandbox's activities, none of them a note.
    const dealIds = [...new Set(notes.map((n) => n.dealId))];
    const stored = await h.store.activities.forDeals('sf', dealIds);
    expect(stored.some((a) => a.externalId.startsWith('069'))).toBe(false);
    const book = h.sandbox.state.salesforce;
    const wanted = new Set(dealIds);
    expect(stored).toHaveLength(book.activities.filter((a) => !a.deleted && a.deal >= 0 && wanted.has(book.deals[a.deal]!.id)).length);
  }, 150_000);
});

describe.skipIf(!redisOk)('salesforce notes: a worker dies between creating the notes and linking them', () => {
  let h: Harness;
  let crashed = 0;
  beforeAll(async () => {
    h = await startHarness({
      store: 'embedded',
      queues: 'redis',
      deals: 60,
      wrapConnector: (connector, settings) => {
        if (settings.id !== 'sf') return connector;
        return new Proxy(connector, {
          get(target, prop) {
            if (prop === 'annotate') {
              return async (batch: AnnotationBatch, signal?: AbortSignal) => {
                if (crashed > 0 || batch.warnings.length === 0) return target.annotate(batch, signal);
                crashed += 1;
                // The first request of the note path reaches Salesforce; the process dies before the second.
                const sf = h.sandbox.salesforce;
                const res = await fetch(`${sf.instanceUrl}/services/data/v${sf.apiVersion}/composite/sobjects`, {
                  method: 'POST',
                  headers: { authorization: `Bearer ${sf.accessToken}`, 'content-type': 'application/json' },
                  // Approvals are Tasks, not notes: only the warnings are ContentNotes.
                  body: JSON.stringify({ allOrNone: false, records: batch.warnings.filter((w) => !w.approval).map(noteRecord) }),
                });
                if (!res.ok) throw new Error(`note create failed: ${res.status}`);
                throw new Error('worker died after creating the notes');
              };
            }
            const value = Reflect.get(target, prop, target) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        }) as CrmConnector;
      },
    });
    const i = h.settings.findIndex((s) => s.id === 'sf');
    h.settings[i] = ConnectionSettings.parse({ ...h.settings[i], warningRecord: 'note' });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('links the notes already created instead of writing them again', async () => {
    await h.sync('sf', 'full');
    expect(crashed).toBe(1);
    // Whatever the retries left due is written by the next run.
    await h.sync('sf', 'incremental');
    const ledger = await h.store.findings.openForDeals('sf');
    expect(ledger.length).toBeGreaterThan(0);
    expect(ledger.filter((f) => f.writeStatus !== 'written')).toEqual([]);

    const allRecords = await h.store.findings.warningRecords('sf');
    const records = allRecords.filter((r) => r.kind === 'warning');
    expect(records.length).toBe(new Set(ledger.map((f) => f.dealId)).size);
    const { perKey, strays } = warningRecordsPerKey(h.sandbox, 'salesforce', new Set(allRecords.map((r) => r.recordKey)));
    expect(strays).toBe(0);
    expect([...perKey].filter(([, n]) => n !== 1)).toEqual([]);
    // No second ContentNote anywhere (linked or not): exactly one per deal.
    const sf = h.sandbox.salesforce;
    const q = encodeURIComponent("SELECT Id, Title FROM ContentNote WHERE Title LIKE 'Pipeline health:%'");
    const res = await fetch(`${sf.instanceUrl}/services/data/v${sf.apiVersion}/query?q=${q}`, {
      headers: { authorization: `Bearer ${sf.accessToken}` },
    });
    const all = ((await res.json()) as { records: { Id: string }[] }).records;
    expect(all).toHaveLength(records.length);
    expect(new Set(records.map((r) => r.externalId))).toEqual(new Set(all.map((r) => r.Id)));
  }, 150_000);
});
