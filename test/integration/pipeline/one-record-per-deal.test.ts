/**
 * (both) What reps see after a full sync and then an incremental sync in which some findings
 * resolved and others opened: every deal has at most one open dealwatch record, in plain words,
 * listing exactly the deal's open findings (resolved ones are gone from it), and no deal with an
 * open critical finding scores in the healthy band (70 or more).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleName } from '../../../src/domain/rules/names.js';
import { startHarness, type Harness } from './harness.js';
import { listedOpen, machineText, openRecordsPerDeal, warningsOnly, writtenRecords } from './warning-records.js';

const CONNECTIONS = [
  { id: 'hs', provider: 'hubspot' },
  { id: 'sf', provider: 'salesforce' },
] as const;
const DAY = 86_400_000;

describe('one current warning per deal, in plain words (HubSpot notes, Salesforce Tasks)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ store: 'embedded', queues: 'pglite', deals: 60 });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Every deal's records against the ledger: one open record per deal with open findings, listing exactly them. */
  async function expectRecordsMatchLedger(connectionId: string, provider: 'hubspot' | 'salesforce') {
    // Approval tasks (told apart by their key) are the approver's, not the rep's warning record.
    const records = warningsOnly(writtenRecords(h.sandbox, provider));
    expect([...openRecordsPerDeal(records)].filter(([, n]) => n > 1)).toEqual([]);
    expect(records.filter((r) => r.key === null)).toEqual([]);
    for (const r of records) expect(machineText(r.text), r.text).toEqual([]);
    const open = await h.store.findings.openForDeals(connectionId);
    const openByDeal = new Map<string, string[]>();
    for (const f of open) openByDeal.set(f.dealId, [...(openByDeal.get(f.dealId) ?? []), ruleName(f.ruleId)]);
    const openRecordByDeal = new Map(records.filter((r) => r.open).map((r) => [r.dealId, r]));
    for (const [dealId, names] of openByDeal) {
      const record = openRecordByDeal.get(dealId);
      expect(record, `deal ${dealId} has open findings and no open record`).toBeDefined();
      expect(listedOpen(record!.text).sort()).toEqual([...names].sort());
    }
    // A record stays open only while its deal has open findings.
    expect([...openRecordByDeal.keys()].filter((d) => !openByDeal.has(d))).toEqual([]);
    return { records, openByDeal };
  }

  async function expectNoHealthyCritical(connectionId: string) {
    const critical = new Set(
      (await h.store.findings.openForDeals(connectionId)).filter((f) => f.severity === 'critical').map((f) => f.dealId),
    );
    const scores = await h.store.scores.listOpen(connectionId);
    expect(scores.filter((s) => critical.has(s.dealId) && s.score >= 70).map((s) => [s.dealId, s.score])).toEqual([]);
    return critical.size;
  }

  it('keeps one record per deal, updated in place as findings resolve and open', async () => {
    for (const c of CONNECTIONS) {
      const outcomes = await h.sync(c.id, 'full');
      expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    }
    const before = new Map<string, Awaited<ReturnType<typeof expectRecordsMatchLedger>>>();
    for (const c of CONNECTIONS) before.set(c.id, await expectRecordsMatchLedger(c.id, c.provider));
    for (const c of CONNECTIONS) expect(before.get(c.id)!.openByDeal.size).toBeGreaterThan(0);

    // Some findings resolve (the rep logs a call on deals that had gone quiet), others open (time passes).
    const resolvedByCall = new Map<string, string[]>();
    for (const c of CONNECTIONS) {
      const stale = [
        ...new Set((await h.store.findings.openForDeals(c.id)).filter((f) => f.ruleId === 'stale_deal').map((f) => f.dealId)),
      ].slice(0, 5);
      expect(stale.length).toBeGreaterThan(0);
      resolvedByCall.set(c.id, stale);
    }
    h.sandbox.advance(10 * DAY);
    for (const c of CONNECTIONS) {
      for (const dealId of resolvedByCall.get(c.id)!)
        h.sandbox.addActivity(c.provider, dealId, {
          kind: 'call',
          direction: 'outbound',
          at: new Date(h.sandbox.now() - 60_000),
          completed: true,
          subject: 'Call with the buyer',
        });
    }
    const recordsBefore = new Map(CONNECTIONS.map((c) => [c.id, warningsOnly(writtenRecords(h.sandbox, c.provider)).length]));
    for (const c of CONNECTIONS) {
      const outcomes = await h.sync(c.id, 'incremental');
      expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    }

    for (const c of CONNECTIONS) {
      const { records, openByDeal } = await expectRecordsMatchLedger(c.id, c.provider);
      // The calls resolved those deals' stale findings: gone from the records' open part.
      const resolved = await h.store.findings.list(c.id, { status: 'resolved', ruleId: 'stale_deal' });
      const resolvedDeals = new Set(resolved.map((f) => f.dealId));
      for (const dealId of resolvedByCall.get(c.id)!) {
        expect(resolvedDeals.has(dealId)).toBe(true);
        const record = records.find((r) => r.dealId === dealId && r.open);
        if (record) expect(listedOpen(record.text)).not.toContain(ruleName('stale_deal'));
        else expect(openByDeal.has(dealId)).toBe(false);
        // Updated in place, with what was resolved: the deal still has one record from its first write.
        const ofDeal = records.filter((r) => r.dealId === dealId);
        expect(ofDeal.length).toBe(1);
        expect(ofDeal[0]!.text).toContain(`Resolved since`);
      }
      // New findings opened on deals that had a record: updated, not a second record; new records only for new deals.
      const newDeals = [...openByDeal.keys()].filter(
        (d) => !before.get(c.id)!.openByDeal.has(d) && !before.get(c.id)!.records.some((r) => r.dealId === d),
      );
      expect(records.length).toBe(recordsBefore.get(c.id)! + newDeals.length);
      await expectNoHealthyCritical(c.id);

      // The sandbox's admin surface shows a deal as its rep sees it: flags by name, the one open record.
      const [dealId, names] = [...openByDeal].find(([, n]) => n.length > 1) ?? [...openByDeal][0]!;
      const res = await fetch(`${h.sandbox.info().admin}/deals/${c.provider}/${dealId}`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as { flags: string[]; warnings: { closed: boolean; text: string }[] };
      expect([...view.flags].sort()).toEqual([...names].sort());
      const open = view.warnings.filter((w) => !w.closed);
      expect(open).toHaveLength(1);
      expect(listedOpen(open[0]!.text).sort()).toEqual([...names].sort());
    }
  }, 300_000);
});
