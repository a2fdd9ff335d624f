/**
 * The Salesforce connector against the sandbox over loopback HTTP (jsforce unchanged). The sandbox
 * and the connector share no code, so these compare two independent readings of Salesforce's docs.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../../src/sandbox/index.js';
import type { Activity, Deal, SyncCursor } from '../../../../src/domain/model/index.js';
import { sandboxSalesforceConnection } from '../../../support/sandbox-connections.js';
import { SalesforceConnector } from '../../../../connectors/salesforce/connector.js';
import type { Page } from '../../../../connectors/types.js';
import { INTEGRATION_USER } from '../../../../src/sandbox/salesforce/schema.js';

const START = new Date('2026-11-26T09:00:00.000Z');
const noopGate = { take: () => Promise.resolve() };
let sandbox: Sandbox;

function connectorFor(overrides: Record<string, unknown> = {}, retries = 3): SalesforceConnector {
  const settings = sandboxSalesforceConnection(sandbox, 'sfint', {
    fieldMap: { lostReason: 'Loss_Reason__c', targetAccount: 'Key_Account__c' },
    ...overrides,
  });
  return new SalesforceConnector(
    settings,
    { rateGate: noopGate, logger: pino({ level: 'silent' }) },
    {
      retryPolicy: { retries, minTimeoutMs: 5, maxTimeoutMs: 20, maxRetryAfterMs: 1000 },
      bulkPoll: { intervalMs: 20, timeoutMs: 30_000 },
    },
  );
}

async function drain<T>(pages: AsyncIterable<Page<T>>): Promise<{ records: T[]; tombstones: string[]; cursor: SyncCursor | null }> {
  const records: T[] = [];
  const tombstones: string[] = [];
  let cursor: SyncCursor | null = null;
  for await (const page of pages) {
    records.push(...page.records);
    tombstones.push(...page.tombstones);
    if (page.cursor) cursor = page.cursor;
  }
  return { records, tombstones, cursor };
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number | null) => (ms === null ? null : iso(ms).slice(0, 10));
const KIND: Record<string, Activity['type']> = { call: 'call', email: 'email', meeting: 'meeting', note: 'task', task: 'task' };

/** What the book says the connector must produce for a deal. */
function expectedDeal(id: string) {
  const book = sandbox.state.salesforce;
  const d = book.deals.find((x) => x.id === id)!;
  const stage = book.pipelines[d.pipeline]!.stages[d.stage]!;
  return {
    externalId: d.id,
    name: d.name,
    stageId: stage.id,
    amount: d.amount,
    closeDate: day(d.closeDate),
    ownerId: book.reps[d.owner]!.id,
    accountName: book.accounts[d.account]?.name ?? null,
    accountIsTarget: book.accounts[d.account]?.isKey ?? null,
    isClosed: stage.isClosed,
    isWon: stage.isWon,
    modifiedAt: iso(d.modifiedAt),
    discountPercent: d.discount,
    lostReason: d.lostReason,
    contactCount: d.deleted ? 0 : d.contactIds.length,
  };
}
const pick = (deal: Deal) => ({
  externalId: deal.externalId,
  name: deal.name,
  stageId: deal.stageId,
  amount: deal.amount,
  closeDate: deal.closeDate,
  ownerId: deal.ownerId,
  accountName: deal.accountName,
  accountIsTarget: deal.accountIsTarget,
  isClosed: deal.isClosed,
  isWon: deal.isWon,
  modifiedAt: deal.modifiedAt,
  discountPercent: deal.discountPercent,
  lostReason: deal.lostReason,
  contactCount: deal.contactCount,
});

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 300, seed: 11, now: START });
});
afterAll(async () => {
  await sandbox?.close();
});

describe('salesforce connector x sandbox', () => {
  let dealCursor: SyncCursor | null = null;
  let activityCursor: SyncCursor | null = null;

  it('a full sync yields exactly the sandbox deals, activities and histories', async () => {
    const c = connectorFor();
    const book = sandbox.state.salesforce;
    const deals = await drain(c.pullDeals({ since: null }));
    const liveIds = book.deals
      .filter((d) => !d.deleted)
      .map((d) => d.id)
      .sort();
    expect(deals.records.map((d) => d.externalId).sort()).toEqual(liveIds);
    for (const deal of deals.records) expect(pick(deal)).toEqual(expectedDeal(deal.externalId));
    // The Account checkbox in fieldMap.targetAccount arrives through the Opportunity's Account relationship.
    expect(deals.records.filter((d) => d.accountIsTarget === true).length).toBeGreaterThan(0);
    expect(deals.records.filter((d) => d.accountIsTarget === false).length).toBeGreaterThan(0);
    const unmapped = await drain(connectorFor({ fieldMap: { lostReason: 'Loss_Reason__c' } }).pullDeals({ since: null }));
    expect(unmapped.records.every((d) => d.accountIsTarget === null)).toBe(true);
    dealCursor = deals.cursor;
    expect(dealCursor?.stamp).toBe(iso(Math.max(...book.deals.map((d) => d.modifiedAt))));

    const activities = await drain(c.pullActivities({ since: null }));
    const liveActivities = book.activities.filter((a) => !a.deleted);
    expect(activities.records).toHaveLength(liveActivities.length);
    const byId = new Map(activities.records.map((a) => [a.externalId, a]));
    for (const a of liveActivities) {
      expect(byId.get(a.id), a.id).toMatchObject({
        type: KIND[a.kind],
        dealIds: [book.deals[a.deal]!.id],
        ownerId: book.reps[a.owner]!.id,
      });
    }
    activityCursor = activities.cursor;

    const stageChanges = [];
    const fieldChanges = [];
    for await (const page of c.pullHistory({ since: null })) {
      stageChanges.push(...page.stageChanges);
      fieldChanges.push(...page.fieldChanges);
    }
    // Expected moves: consecutive distinct stages of each deal's OpportunityHistory rows.
    const expectedMoves: string[] = [];
    const last = new Map<number, number>();
    for (const row of [...book.stageHistory].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      if (last.get(row.deal) === row.stage) continue;
      last.set(row.deal, row.stage);
      expectedMoves.push(`${book.deals[row.deal]!.id}>${book.pipelines[0]!.stages[row.stage]!.id}`);
    }
    expect(stageChanges.map((s) => `${s.dealId}>${s.toStageId}`).sort()).toEqual(expectedMoves.sort());
    expect(fieldChanges).toHaveLength(book.fieldHistory.filter((f) => f.field !== 'StageName').length);

    // Deals with no contact role read as zero contacts (the REST API answers null), not unknown.
    const noContacts = book.deals.filter((d) => !d.deleted && d.contactIds.length === 0).map((d) => d.id);
    expect(noContacts.length).toBeGreaterThan(0);
    for (const id of noContacts) expect(deals.records.find((d) => d.externalId === id)?.contactCount).toBe(0);

    // Owners are people: the org's Automated Process, Chatter, guest and partner users are not read.
    const owners = await c.pullOwners();
    expect(owners.map((o) => o.externalId).sort()).toEqual([...book.reps.map((r) => r.id), INTEGRATION_USER.id].sort());
    const stages = await c.pullStages();
    expect(stages.map((s) => s.id)).toEqual(book.pipelines[0]!.stages.map((s) => s.id));

    const usage = c.usage();
    expect(usage.rateLimited).toBe(0);
    // Lower bound: one call per 2,000 rows of each stream, plus describe, and one cursor page each.
    expect(usage.calls).toBeLessThanOrEqual(14);
  });

  it('a full sync above bulkThreshold reads through Bulk API 2.0 and yields the same deals', async () => {
    const c = connectorFor({ bulkThreshold: 100 });
    const bulk = await drain(c.pullDeals({ since: null, mode: 'full' }));
    const liveIds = sandbox.state.salesforce.deals
      .filter((d) => !d.deleted)
      .map((d) => d.id)
      .sort();
    expect(bulk.records.map((d) => d.externalId).sort()).toEqual(liveIds);
    for (const deal of bulk.records) expect(pick(deal)).toEqual(expectedDeal(deal.externalId));
    expect(Object.keys(c.usage().byEndpoint).some((k) => k.startsWith('POST jobs/query'))).toBe(true);
    expect(bulk.cursor).toEqual(dealCursor);
  });

  it('after mutations an incremental sync fetches those (plus the look-back window only), and a deletion is a tombstone', async () => {
    expect(dealCursor).not.toBeNull();
    sandbox.advance(60 * 60_000);
    const book = sandbox.state.salesforce;
    const open = book.deals.filter((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
    const moved = open.slice(0, 3).map((d) => d.id);
    sandbox.changeStage('salesforce', moved[0]!, 'Closed Won');
    sandbox.changeStage('salesforce', moved[1]!, 'Closed Lost');
    const activityId = sandbox.addActivity('salesforce', moved[2]!, { kind: 'call', direction: 'inbound', subject: 'Follow-up call' });
    const deleted = open[3]!.id;
    sandbox.deleteDeal('salesforce', deleted);

    const c = connectorFor();
    const deals = await drain(c.pullDeals({ since: dealCursor }));
    const from = Date.parse(dealCursor!.stamp) - 10 * 60_000;
    const expectedIds = book.deals
      .filter((d) => !d.deleted && d.modifiedAt >= from)
      .map((d) => d.id)
      .sort();
    expect(deals.records.map((d) => d.externalId).sort()).toEqual(expectedIds);
    expect(expectedIds).toEqual(expect.arrayContaining(moved));
    expect(deals.tombstones).toEqual([deleted]);
    expect(deals.records.find((d) => d.externalId === moved[0])).toMatchObject({ stageId: 'Closed Won', isWon: true, isClosed: true });

    const activities = await drain(c.pullActivities({ since: activityCursor }));
    expect(activities.records.map((a) => a.externalId)).toContain(activityId);
    expect(activities.records.find((a) => a.externalId === activityId)).toMatchObject({
      type: 'call',
      direction: 'inbound',
      dealIds: [moved[2]],
    });
    const fromActivities = Date.parse(activityCursor!.stamp) - 10 * 60_000;
    expect(activities.records).toHaveLength(book.activities.filter((a) => !a.deleted && a.modifiedAt >= fromActivities).length);

    const bundle = await c.fetchDeal(moved[0]!);
    expect(bundle.deal?.stageId).toBe('Closed Won');
    expect(bundle.stageChanges.at(-1)).toMatchObject({ toStageId: 'Closed Won' });
    expect((await c.fetchDeal(deleted)).deal).toBeNull();
  });

  it('a full sync through injected 429s, 503s and dropped connections still yields every deal (one retry layer)', async () => {
    sandbox.resetLog();
    sandbox.injectFaults([
      { kind: '429', rate: 0.2, provider: 'salesforce', pathIncludes: '/query' },
      { kind: '503', rate: 0.2, provider: 'salesforce', pathIncludes: '/query' },
      { kind: 'drop', rate: 0.2, provider: 'salesforce', pathIncludes: '/query' },
    ]);
    try {
      const c = connectorFor({}, 8);
      const deals = await drain(c.pullDeals({ since: null }));
      const activities = await drain(c.pullActivities({ since: null }));
      const book = sandbox.state.salesforce;
      expect(deals.records.map((d) => d.externalId).sort()).toEqual(
        book.deals
          .filter((d) => !d.deleted)
          .map((d) => d.id)
          .sort(),
      );
      expect(activities.records).toHaveLength(book.activities.filter((a) => !a.deleted).length);
      const usage = c.usage();
      const sent = sandbox.state.calls.filter((call) => call.provider === 'salesforce' && !call.path.includes('/oauth2/'));
      const faulted = sent.filter((call) => call.fault);
      expect(faulted.length).toBeGreaterThan(0);
      // Every request the sandbox saw is one we counted: no hidden retries inside jsforce.
      expect(usage.calls).toBe(sent.length);
      expect(usage.rateLimited).toBe(faulted.filter((call) => call.status === 429).length);
      sandbox.injectFaults([]);
      // Each fault cost exactly one more attempt: the answered requests are those of a fault-free run.
      const baseline = connectorFor();
      await drain(baseline.pullDeals({ since: null }));
      await drain(baseline.pullActivities({ since: null }));
      expect(sent.filter((call) => !call.fault).length).toBe(baseline.usage().calls);
    } finally {
      sandbox.injectFaults([]);
    }
  });

  it('REQUEST_LIMIT_EXCEEDED: the concurrent-requests refusal is retried within the pull, the daily quota stops it', async () => {
    sandbox.injectFaults([{ kind: 'concurrent_limit', rate: 1, provider: 'salesforce', pathIncludes: '/query' }]);
    try {
      // Every query refused for concurrency: retried (with backoff) until the retries run out, never taken for the quota.
      const busy = await connectorFor({}, 2)
        .pullStages()
        .catch((e: unknown) => e);
      expect(busy).toMatchObject({ code: 'CRM.RATE_LIMITED', retryable: true });
      sandbox.injectFaults([{ kind: 'concurrent_limit', rate: 0.5, provider: 'salesforce', pathIncludes: '/query' }]);
      const c = connectorFor({}, 10);
      const deals = await drain(c.pullDeals({ since: null }));
      const activities = await drain(c.pullActivities({ since: null }));
      expect(deals.records).toHaveLength(sandbox.state.salesforce.deals.filter((d) => !d.deleted).length);
      expect(activities.records).toHaveLength(sandbox.state.salesforce.activities.filter((a) => !a.deleted).length);
      expect(c.usage().rateLimited).toBeGreaterThan(0);

      sandbox.injectFaults([{ kind: 'daily_limit', rate: 1, provider: 'salesforce', pathIncludes: '/query' }]);
      const spent = connectorFor({}, 8);
      const quota = await spent.pullStages().catch((e: unknown) => e);
      expect(quota).toMatchObject({ code: 'CRM.QUOTA_EXCEEDED', retryable: false });
      // Not retried: one request, one refusal.
      expect(spent.usage().calls).toBe(1);
    } finally {
      sandbox.injectFaults([]);
    }
  }, 60_000);

  it('JWT bearer and client credentials obtain tokens from the sandbox token endpoint', async () => {
    const sf = sandbox.salesforce;
    const jwt = connectorFor({ auth: { type: 'jwt', clientId: sf.clientId, username: sf.username, privateKey: sf.privateKeyPem } });
    expect((await jwt.pullStages()).length).toBeGreaterThan(0);
    const cc = connectorFor({ auth: { type: 'clientCredentials', clientId: sf.clientId, clientSecret: sf.clientSecret } });
    expect((await cc.pullStages()).length).toBeGreaterThan(0);
  });

  it('a change committed late, stamped before the cursor but inside the look-back, is still read', async () => {
    const c = connectorFor();
    const first = await drain(c.pullDeals({ since: null }));
    const cursor = first.cursor!;
    const book = sandbox.state.salesforce;
    const late = book.deals.find(
      (d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed && d.modifiedAt < Date.parse(cursor.stamp) - 60 * 60_000,
    )!;
    // Salesforce stamps at transaction start: a long transaction commits after the cursor has passed its stamp.
    const now = sandbox.now();
    sandbox.setClock(new Date(Date.parse(cursor.stamp) - 5 * 60_000));
    sandbox.changeStage('salesforce', late.id, 'Closed Lost');
    sandbox.setClock(new Date(now));
    const next = await drain(c.pullDeals({ since: cursor }));
    expect(next.records.find((d) => d.externalId === late.id)).toMatchObject({
      stageId: 'Closed Lost',
      modifiedAt: new Date(Date.parse(cursor.stamp) - 5 * 60_000).toISOString(),
    });
    // ...and one stamped before the look-back window would be missed: the window is the safety margin, not a rescan.
    const tooLate = book.deals.find(
      (d) =>
        !d.deleted &&
        d.id !== late.id &&
        !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed &&
        d.modifiedAt < Date.parse(cursor.stamp) - 60 * 60_000,
    )!;
    sandbox.setClock(new Date(Date.parse(cursor.stamp) - 30 * 60_000));
    sandbox.changeStage('salesforce', tooLate.id, 'Closed Lost');
    sandbox.setClock(new Date(now));
    const after = await drain(c.pullDeals({ since: cursor }));
    expect(after.records.map((d) => d.externalId)).not.toContain(tooLate.id);
  });

  it('refreshes an expired session once and carries on', async () => {
    const c = connectorFor();
    await c.pullStages();
    sandbox.expireSalesforceTokens();
    const stages = await c.pullStages();
    expect(stages.map((s) => s.id)).toContain('Closed Won');
    expect(stages.map((s) => s.order)).toEqual(stages.map((_, i) => i));
  });

  it('writes score, flags and one Task per deal, finds the Task by its key, and updates it in place', async () => {
    const c = connectorFor();
    const [d1, d2] = sandbox.state.salesforce.deals.filter((d) => !d.deleted).map((d) => d.id);
    const owner = (await c.fetchDeal(d1!)).deal?.ownerId ?? null;
    const key = `sfint:${d1}:stale_deal:2026-11-26T09:00:00.000Z`;
    const result = await c.annotate({
      fields: [
        { dealId: d1!, score: 35, flags: ['stale_deal', 'no_next_activity'] },
        { dealId: d2!, score: 88, flags: [] },
      ],
      warnings: [
        {
          key,
          dealId: d1!,
          ownerId: owner,
          externalId: null,
          open: true,
          severity: 'critical',
          title: 'Stale deal',
          body: 'No activity for 40 days.',
          dueDate: '2026-11-28',
        },
      ],
    });
    expect([...result.fields.values()].every((o) => o.ok)).toBe(true);
    const written = result.warnings.get(key);
    expect(written?.ok).toBe(true);
    const annotations = sandbox.state.annotations.filter((a) => a.provider === 'salesforce');
    expect(annotations.find((a) => a.kind === 'field_update' && a.dealId === d1)?.fields).toMatchObject({
      Dealwatch_Score__c: 35,
      Dealwatch_Flags__c: 'stale_deal;no_next_activity',
    });
    expect(annotations.find((a) => a.kind === 'task' && a.dealId === d1)?.fields).toMatchObject({
      Subject: 'Pipeline health: Stale deal',
      Description: 'No activity for 40 days.',
      Dealwatch_Key__c: key,
      OwnerId: owner,
      Status: 'Not Started',
      Priority: 'High',
      ActivityDate: '2026-11-28',
    });
    const found = await c.findWarnings([key, 'sfint:other:rule:never-written']);
    const taskId = written?.ok ? written.externalId : 'none';
    expect([...found]).toEqual([[key, taskId]]);
    // Updated in place and completed: the same Task, read back through SOQL.
    const closed = await c.annotate({
      fields: [],
      warnings: [
        {
          key,
          dealId: d1!,
          ownerId: owner,
          externalId: taskId,
          open: false,
          severity: 'info',
          title: 'Pipeline health: all clear',
          body: 'Nothing needs your attention.',
        },
      ],
    });
    expect(closed.warnings.get(key)).toEqual({ ok: true, externalId: taskId });
    const task = sandbox.state.salesforce.activities.find((a) => a.id === taskId);
    expect(task).toMatchObject({
      subject: 'Pipeline health: all clear',
      body: 'Nothing needs your attention.',
      completed: true,
      custom: { Dealwatch_Key__c: key },
    });
    const report = await c.doctor();
    expect(report.ok).toBe(true);
  });
});
