/**
 * The HubSpot connector against the sandbox over loopback HTTP, through the official SDK: a full
 * sync returns exactly the sandbox's book (deals, activities, links, stage moves as HubSpot exposes
 * them), an incremental sync after mutations returns those and nothing beyond the look-back, and a
 * deleted deal comes back as a tombstone.
 */
import { sandboxHubSpotConnection } from '../../../support/sandbox-connections.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotConnector } from '../../../../connectors/hubspot/connector.js';
import type { Activity, Deal, DealFieldChange, StageChange, SyncCursor } from '../../../../src/domain/model/index.js';
import { HubSpotConnection } from '../../../../src/domain/model/index.js';
import { type Sandbox, startSandbox } from '../../../../src/sandbox/index.js';

const LOOKBACK_MS = 10 * 60_000;
let sandbox: Sandbox;
let connector: HubSpotConnector;

async function drain<T extends { cursor: SyncCursor | null }>(pages: AsyncIterable<T>): Promise<{ pages: T[]; cursor: SyncCursor | null }> {
  const all: T[] = [];
  let cursor: SyncCursor | null = null;
  for await (const page of pages) {
    all.push(page);
    if (page.cursor) cursor = page.cursor;
  }
  return { pages: all, cursor };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 300, seed: 11, rateLimit: false });
  const settings = sandboxHubSpotConnection(sandbox.hubspot, 'hs-int');
  connector = new HubSpotConnector(
    settings,
    { rateGate: { take: async () => {} }, logger: pino({ level: 'silent' }) },
    { now: () => sandbox.now() },
  );
});

afterAll(async () => {
  await sandbox?.close();
});

describe('HubSpot connector on the sandbox', () => {
  let fullDealsCursor: SyncCursor | null = null;
  let fullActivitiesCursor: SyncCursor | null = null;

  it('a full sync yields exactly the sandbox deals with their contents', async () => {
    const book = sandbox.state.hubspot;
    // Account names need the companies batch read; a sandbox without it still yields the account ids.
    const probe = await fetch(`${sandbox.hubspot.baseUrl.replace(/\/+$/, '')}/crm/v3/objects/companies/batch/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [], properties: ['name'] }),
    });
    const companiesServed = probe.status !== 404;
    const { pages, cursor } = await drain(connector.pullDeals({ since: null, mode: 'full' }));
    fullDealsCursor = cursor;
    const got = new Map<string, Deal>(pages.flatMap((p) => p.records).map((d) => [d.externalId, d]));
    const live = book.deals.filter((d) => !d.deleted);
    expect(got.size).toBe(live.length);
    expect(pages.flatMap((p) => p.records)).toHaveLength(live.length); // no duplicates across pages
    for (const d of live) {
      const pipeline = book.pipelines[d.pipeline]!;
      const stage = pipeline.stages[d.stage]!;
      expect(got.get(d.id), d.id).toMatchObject({
        name: d.name,
        pipeline: pipeline.id,
        stageId: stage.id,
        ownerId: book.reps[d.owner]!.id,
        accountId: book.accounts[d.account]!.id,
        accountName: companiesServed ? book.accounts[d.account]!.name : null,
        accountIsTarget: companiesServed ? book.accounts[d.account]!.isKey : null,
        leadSource: d.leadSource,
        amount: d.amount,
        closeDate: iso(d.closeDate)?.slice(0, 10) ?? null,
        createdAt: iso(d.createdAt),
        modifiedAt: iso(d.modifiedAt),
        nextStep: d.nextStep,
        discountPercent: d.discount,
        contactCount: d.contactIds.length,
        isClosed: stage.isClosed,
        isWon: stage.isWon,
        stageEnteredAt: iso(d.stageEnteredAt),
        isDeleted: false,
      });
    }
    // Some deals sit at target accounts (the company's hs_is_target_account), others not.
    if (companiesServed) expect(new Set([...got.values()].map((d) => d.accountIsTarget))).toEqual(new Set([true, false]));
    expect(cursor).not.toBeNull();
  });

  it('a full sync yields exactly the sandbox activities and their deal links', async () => {
    const book = sandbox.state.hubspot;
    const { pages, cursor } = await drain(connector.pullActivities({ since: null, mode: 'full' }));
    fullActivitiesCursor = cursor;
    const all = pages.flatMap((p) => p.records);
    const got = new Map<string, Activity>(all.map((a) => [a.externalId, a]));
    const live = book.activities.filter((a) => !a.deleted);
    expect(all).toHaveLength(live.length);
    expect(got.size).toBe(live.length);
    for (const a of live) {
      expect(got.get(a.id), a.id).toMatchObject({
        type: a.kind,
        dealIds: [book.deals[a.deal]!.id],
        ownerId: book.reps[a.owner]!.id,
        occurredAt: iso(a.at),
        modifiedAt: iso(a.modifiedAt),
        ...(a.kind === 'call' || a.kind === 'email' ? { direction: a.direction ?? 'unknown' } : {}),
        ...(a.kind === 'task' ? { completed: a.completed } : {}),
      });
    }
  });

  it(
    'history equals the book: every stage move (revisits included) with the amount and close date ' +
      'in force, every close-date and amount change',
    async () => {
      const book = sandbox.state.hubspot;
      await connector.pullStages();
      connector.resetUsage();
      // A full sync walks the deals once with their property history: the deal pages carry it, and
      // the history pull that follows reads nothing again, only moves its cursor to the walk's.
      const walk = await drain(connector.pullDeals({ since: null, mode: 'full' }));
      const walkCalls = connector.usage().calls;
      const history = await drain(connector.pullHistory({ since: null, mode: 'full' }));
      expect(connector.usage().calls).toBe(walkCalls);
      expect(history.cursor).toEqual(walk.cursor);
      const pages = [...walk.pages.flatMap((p) => (p.history ? [p.history] : [])), ...history.pages];
      const movesByDeal = new Map<string, StageChange[]>();
      for (const change of pages.flatMap((p) => p.stageChanges))
        movesByDeal.set(change.dealId, [...(movesByDeal.get(change.dealId) ?? []), change]);
      const fieldsByDeal = new Map<string, DealFieldChange[]>();
      for (const change of pages.flatMap((p) => p.fieldChanges))
        fieldsByDeal.set(change.dealId, [...(fieldsByDeal.get(change.dealId) ?? []), change]);

      const rowsByDeal = new Map<number, typeof book.stageHistory>();
      for (const row of book.stageHistory) rowsByDeal.set(row.deal, [...(rowsByDeal.get(row.deal) ?? []), row]);
      const fieldRowsByDeal = new Map<number, typeof book.fieldHistory>();
      for (const row of book.fieldHistory) fieldRowsByDeal.set(row.deal, [...(fieldRowsByDeal.get(row.deal) ?? []), row]);
      const day = (ms: number | null) => iso(ms)?.slice(0, 10) ?? null;
      let revisited = 0;
      let pushed = 0;
      let checked = 0;
      for (const [dealIdx, deal] of book.deals.entries()) {
        if (deal.deleted) continue;
        checked += 1;
        const stages = book.pipelines[deal.pipeline]!.stages;
        // The book's OpportunityHistory-like rows: a move wherever the stage differs from the row before.
        const moves: Omit<StageChange, 'connectionId' | 'dealId'>[] = [];
        let previous: string | null = null;
        for (const row of rowsByDeal.get(dealIdx) ?? []) {
          const id = stages[row.stage]!.id;
          if (id === previous) continue;
          moves.push({ fromStageId: previous, toStageId: id, at: iso(row.at)!, amount: row.amount, closeDate: day(row.closeDate) });
          previous = id;
        }
        if (new Set(moves.map((m) => m.toStageId)).size !== moves.length) revisited += 1;
        expect(
          (movesByDeal.get(deal.id) ?? []).map(({ connectionId: _c, dealId: _d, ...m }) => m),
          deal.id,
        ).toEqual(moves);

        const fields = (fieldRowsByDeal.get(dealIdx) ?? [])
          .filter((r) => r.field === 'Amount' || r.field === 'CloseDate')
          .map((r) => ({
            field: r.field === 'Amount' ? 'amount' : 'closeDate',
            oldValue: r.oldValue === null ? null : String(r.oldValue),
            newValue: r.newValue === null ? null : String(r.newValue),
            at: iso(r.at)!,
          }))
          .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        if (fields.some((f) => f.field === 'closeDate')) pushed += 1;
        expect(
          (fieldsByDeal.get(deal.id) ?? []).map(({ connectionId: _c, dealId: _d, ...f }) => f),
          deal.id,
        ).toEqual(fields);
      }
      // The book has deals that went back a stage and deals whose close date moved: both were checked.
      expect(checked).toBeGreaterThan(200);
      expect(revisited).toBeGreaterThan(0);
      expect(pushed).toBeGreaterThan(0);
      // Deals and their full history cost one list call per 50 live deals (propertiesWithHistory) and
      // one for the archived list; the reconciliation that ends a full sync lists nothing again.
      expect(connector.usage().byEndpoint['GET /crm/v3/objects/deals']).toBe(Math.ceil(checked / 50) + 1);
      const live: string[] = [];
      for await (const ids of connector.listDealIds()) live.push(...ids);
      expect(live.sort()).toEqual(
        book.deals
          .filter((d) => !d.deleted)
          .map((d) => d.id)
          .sort(),
      );
      expect(connector.usage().byEndpoint['GET /crm/v3/objects/deals']).toBe(Math.ceil(checked / 50) + 1);
    },
  );

  it('owners and stages match the book', async () => {
    const book = sandbox.state.hubspot;
    const owners = await connector.pullOwners();
    expect(owners.map((o) => o.externalId).sort()).toEqual(book.reps.map((r) => r.id).sort());
    const stages = await connector.pullStages();
    expect(stages).toHaveLength(book.pipelines.reduce((n, p) => n + p.stages.length, 0));
    for (const p of book.pipelines) {
      for (const s of p.stages) {
        expect(
          stages.find((x) => x.id === s.id && x.pipeline === p.id),
          s.id,
        ).toMatchObject({ label: s.label, probability: s.probability, isClosed: s.isClosed, isWon: s.isWon });
      }
    }
  });

  it('after mutations, an incremental sync fetches the changed records (plus look-back only) and tombstones the deleted deal', async () => {
    const book = sandbox.state.hubspot;
    expect(fullDealsCursor).not.toBeNull();
    sandbox.advance(60 * 60_000);
    const open = book.deals.filter((d) => !d.deleted && !book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
    const moved = open.slice(0, 3);
    const movedTo = new Map<string, { from: string; to: string }>();
    for (const d of moved) {
      const stages = book.pipelines[d.pipeline]!.stages;
      const next = stages.find((s, i) => i !== d.stage && !s.isClosed) ?? stages[0]!;
      movedTo.set(d.id, { from: stages[d.stage]!.id, to: next.id });
      sandbox.changeStage('hubspot', d.id, next.id);
    }
    const withActivity = open[5]!;
    const newActivity = sandbox.addActivity('hubspot', withActivity.id, { kind: 'call', direction: 'inbound', subject: 'Follow-up' });
    const deleted = open[7]!;
    sandbox.deleteDeal('hubspot', deleted.id);

    const deals = await drain(connector.pullDeals({ since: fullDealsCursor }));
    const fetched = deals.pages.flatMap((p) => p.records);
    const fetchedIds = new Set(fetched.map((d) => d.externalId));
    for (const d of moved) expect(fetchedIds.has(d.id), d.id).toBe(true);
    const floor = Date.parse(fullDealsCursor!.stamp) - LOOKBACK_MS;
    const mutated = new Set([...moved.map((d) => d.id), withActivity.id]);
    for (const d of fetched) if (!mutated.has(d.externalId)) expect(Date.parse(d.modifiedAt), d.externalId).toBeGreaterThanOrEqual(floor);
    expect(deals.pages.flatMap((p) => p.tombstones)).toContain(deleted.id);
    expect(fetchedIds.has(deleted.id)).toBe(false);
    expect(Date.parse(deals.cursor!.stamp)).toBeGreaterThan(Date.parse(fullDealsCursor!.stamp));

    // Incremental history: the moved deals' new moves, read by search + batch read with history.
    connector.resetUsage();
    const history = await drain(connector.pullHistory({ since: fullDealsCursor }));
    const moves = history.pages.flatMap((p) => p.stageChanges);
    for (const d of moved) {
      const last = moves.filter((c) => c.dealId === d.id).at(-1);
      expect(last, d.id).toMatchObject({
        fromStageId: movedTo.get(d.id)!.from,
        toStageId: movedTo.get(d.id)!.to,
        at: iso(d.stageEnteredAt),
      });
    }
    expect(history.pages.flatMap((p) => p.stageChanges).some((c) => c.dealId === deleted.id)).toBe(false);
    expect(Date.parse(history.cursor!.stamp)).toBeGreaterThan(Date.parse(fullDealsCursor!.stamp));
    const changed = new Set(fetched.map((d) => d.externalId)).size;
    expect(connector.usage().byEndpoint['POST /crm/v3/objects/deals/batch/read']).toBe(Math.ceil(changed / 50));

    const acts = await drain(connector.pullActivities({ since: fullActivitiesCursor }));
    const fetchedActs = acts.pages.flatMap((p) => p.records);
    expect(fetchedActs.find((a) => a.externalId === newActivity)).toMatchObject({
      type: 'call',
      direction: 'inbound',
      dealIds: [withActivity.id],
    });
    const actFloor = Date.parse(fullActivitiesCursor!.stamp) - LOOKBACK_MS;
    for (const a of fetchedActs) expect(Date.parse(a.modifiedAt), a.externalId).toBeGreaterThanOrEqual(actFloor);
  });

  it('listDealIds lists every live deal once; fetchDeal returns a deal with its activities, and null for a deleted one', async () => {
    const book = sandbox.state.hubspot;
    const ids = (
      await drain(
        (async function* () {
          for await (const page of connector.listDealIds()) yield { cursor: null, ids: page };
        })(),
      )
    ).pages.flatMap((p) => p.ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(book.deals.filter((d) => !d.deleted).length);

    const dealIdx = book.deals.findIndex((d, i) => !d.deleted && book.activities.some((a) => a.deal === i && !a.deleted));
    const deal = book.deals[dealIdx]!;
    const bundle = await connector.fetchDeal(deal.id);
    expect(bundle.deal?.externalId).toBe(deal.id);
    expect(bundle.activities.map((a) => a.externalId).sort()).toEqual(
      book.activities
        .filter((a) => a.deal === dealIdx && !a.deleted)
        .map((a) => a.id)
        .sort(),
    );
    const gone = book.deals.find((d) => d.deleted)!;
    expect((await connector.fetchDeal(gone.id)).deal).toBeNull();
  });

  it('annotates: fields in one batch, notes found again by key, and the sandbox records exactly those writes', async () => {
    await connector.doctor({ fix: true });
    const book = sandbox.state.hubspot;
    const targets = book.deals.filter((d) => !d.deleted).slice(0, 3);
    const warnings = targets.map((d) => ({
      key: `hs-int:${d.id}:stale_deal:2026-11-26`,
      dealId: d.id,
      ownerId: book.reps[d.owner]!.id,
      externalId: null,
      open: true,
      severity: 'warning' as const,
      title: 'Pipeline health: stale',
      body: 'No activity for 21 days.',
    }));
    const result = await connector.annotate({ fields: targets.map((d) => ({ dealId: d.id, score: 33, flags: ['stale_deal'] })), warnings });
    for (const d of targets) expect(result.fields.get(d.id)).toMatchObject({ ok: true });
    for (const w of warnings) expect(result.warnings.get(w.key)).toMatchObject({ ok: true });
    const byDeals = await connector.findWarnings(
      warnings.map((w) => w.key),
      undefined,
      { dealIds: targets.map((d) => d.id) },
    );
    expect([...byDeals.keys()].sort()).toEqual(warnings.map((w) => w.key).sort());
    const bySearch = await connector.findWarnings(warnings.map((w) => w.key));
    expect([...bySearch.keys()].sort()).toEqual(warnings.map((w) => w.key).sort());
    for (const w of warnings) expect(bySearch.get(w.key)).toBe((result.warnings.get(w.key) as { externalId: string }).externalId);
    // doctor --fix made the flags a multiple checkbox: readable option labels, rule ids as values, and
    // the CRM refuses a value that is not an option (as HubSpot does).
    const flags = (await (
      await fetch(`${sandbox.hubspot.baseUrl}/crm/v3/properties/deals/dealwatch_flags`, {
        headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}` },
      })
    ).json()) as { type: string; fieldType: string; options: { label: string; value: string }[] };
    expect(flags).toMatchObject({ type: 'enumeration', fieldType: 'checkbox' });
    expect(flags.options).toContainEqual(expect.objectContaining({ label: 'No recent activity', value: 'stale_deal' }));
    expect(targets.map((d) => d.custom?.['dealwatch_flags'])).toEqual(['stale_deal', 'stale_deal', 'stale_deal']);
    const refused = await connector.annotate({ fields: [{ dealId: targets[0]!.id, score: 33, flags: ['not_a_rule'] }], warnings: [] });
    expect(refused.fields.get(targets[0]!.id)).toMatchObject({ ok: false });
    // Our own notes come back from the next pull marked as dealwatch's.
    const acts = await drain(connector.pullActivities({ since: { stamp: new Date(sandbox.now() - 60_000).toISOString(), id: '' } }));
    const ours = acts.pages.flatMap((p) => p.records).filter((a) => a.origin === 'dealwatch');
    expect(ours.map((a) => a.externalId).sort()).toEqual([...bySearch.values()].sort());
  });
});
