/**
 * The stage-change fast path: a webhook event refetches its deal (with recent activities and
 * history), upserts it, scores it and writes it back; the job ends once its deal is written back.
 *
 * Events that arrive together share that work (./coalescing.ts): the deals of the events that
 * arrive within a short window (or while the connection's previous batch runs) are refetched in
 * batch calls, scored in one pass and written back in one write-back run. The events of one deal in
 * a batch share its refresh (coalesced); an event arriving once its deal's batch has started goes
 * into the next batch, whose refetch reads the change. So a bulk update of hundreds of deals costs a
 * few batches of CRM reads, scoring passes and CRM writes, not one of each per event. The
 * write-back keeps its exactly-once ledger (./writeback.ts); batching changes only how many deals
 * one run covers.
 *
 * Order and staleness: one batch per connection runs at a time (a lease per connection, across
 * worker processes), and a fetched deal older than the stored one (`modifiedAt`) is not written, so
 * a late or replayed event never overwrites fresher data. Duplicates of one event never get here
 * twice: the job id is derived from the event (see the catalog).
 */
import type { ConnectionSettings } from '../src/domain/model/index.js';
import type { JobContext, JobPayload, JobResults } from '../src/queue/index.js';
import type { CrmConnector, DealBundle } from '../connectors/types.js';
import { BatchWindow } from './coalescing.js';
import { ConnectorCache, settingsOf, type PipelineDeps } from './deps.js';
import { scoreDeals, type BenchmarkCache } from './score.js';
import { writeBack } from './writeback.js';

/**
 * How long a connection's batch of refreshes stays open for more events after its first one, when
 * no batch of the connection is running (while one runs, the next batch stays open until it ends,
 * however long that is: under a burst batches grow by themselves). Long enough for the events of
 * one webhook delivery, which reach the workers within a few milliseconds of each other; every
 * millisecond more is latency added to an event arriving alone.
 */
export const FAST_PATH_WINDOW_MS = 10;

export function createEventsProcessor(deps: PipelineDeps, benchmarks: BenchmarkCache) {
  // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
  const log = deps.logger.child({ module: 'events' });
  const connectors = new ConnectorCache(deps.connectorFor);

  // Two stages, each batched per connection, so that one batch's CRM reads overlap the previous
  // batch's scoring and write-back.
  const refreshes = new BatchWindow(FAST_PATH_WINDOW_MS, async (connectionId, dealIds, signal): Promise<Refreshed> => {
    const settings = settingsOf(deps, connectionId);
    // Paused (a quota or an auth failure): once per batch, not once per event.
    const state = await deps.store.connectionState.get(connectionId);
    if (state.pausedReason) return { paused: true, applied: new Set() };
    const connector = connectors.get(settings);
    const applied = await deps.queues.leases.withLease(
      `events:${connectionId}`,
      () => refreshDeals(deps, settings, connector, dealIds, signal, log),
      signal,
    );
    return { paused: false, applied };
  });
  const scoreAndWrite = new BatchWindow(0, async (connectionId, dealIds, signal): Promise<void> => {
    const settings = settingsOf(deps, connectionId);
    const scored = await scoreDeals(deps, benchmarks, settings, dealIds);
    const written = await writeBack(deps, settings, scored.fieldDealIds, signal);
    // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
    log.info(
      {
        connection: connectionId,
        deals: dealIds.length,
        opened: scored.opened,
        fields: written.fields,
        notes: written.notes,
        tasks: written.tasks,
      },
      'events batch scored and written back',
    );
  });

  return async function processEvent(payload: JobPayload<'events'>, context: JobContext): Promise<JobResults['events']> {
    const settings = settingsOf(deps, payload.connectionId);
    const id = settings.id;
    const dealId = payload.dealId;
    // An event fired by dealwatch's own write-back (a rule on "every edit" sees our score update) would
    // start the refresh-rescore-write cycle again: the loop ends here, before any call.
    const connector = connectors.get(settings);
    if (payload.modifiedBy !== undefined && (await connector.isOwnWrite?.(payload.modifiedBy, context.signal))) {
      log.info({ connection: id, dealId, eventId: payload.eventId, kind: payload.kind }, 'event of our own write ignored');
      return { connectionId: id, dealId, refetched: false, applied: false, followUps: [] };
    }
    const batch = refreshes.add(id, dealId, context.signal);
    const refreshed = await batch.result;
    if (refreshed.paused) return { connectionId: id, dealId, refetched: false, applied: false, followUps: [] };
    const applied = refreshed.applied.has(dealId);
    await scoreAndWrite.add(id, dealId, context.signal).result;
    // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
    log.info(
      { connection: id, dealId, eventId: payload.eventId, kind: payload.kind, applied, coalesced: batch.coalesced },
      'event handled',
    );
    return { connectionId: id, dealId, refetched: true, applied, coalesced: batch.coalesced, followUps: [] };
  };
}

/** A refresh batch's outcome: the deals stored (newer, or tombstoned), or nothing as the connection is paused. */
interface Refreshed {
  paused: boolean;
  applied: Set<string>;
}

/** Refetches the deals and stores those the CRM has newer (or no longer has: tombstoned). */
async function refreshDeals(
  deps: PipelineDeps,
  settings: ConnectionSettings,
  connector: CrmConnector,
  dealIds: readonly string[],
  signal: AbortSignal | undefined,
  log: PipelineDeps['logger'],
): Promise<Set<string>> {
  const id = settings.id;
  const bundles = await fetchAll(connector, dealIds, signal);
  const now = deps.clock().toISOString();
  const applied = new Set<string>();
  const fresh: DealBundle[] = [];
  const gone: string[] = [];
  const storedDeals = new Map(
    (
      await deps.store.deals.getMany(
        id,
        dealIds.filter((d) => bundles.get(d)?.deal),
      )
    ).map((d) => [d.externalId, d]),
  );
  for (const dealId of dealIds) {
    const bundle = bundles.get(dealId);
    if (!bundle || bundle.deal === null) {
      gone.push(dealId);
      continue;
    }
    const stored = storedDeals.get(dealId);
    if (stored && !stored.isDeleted && stored.modifiedAt > bundle.deal.modifiedAt) {
      // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
      log.info({ connection: id, dealId, stored: stored.modifiedAt, fetched: bundle.deal.modifiedAt }, 'stale fetch ignored');
      continue;
    }
    fresh.push(bundle);
  }
  if (gone.length > 0) {
    await deps.store.deals.tombstone(id, gone, now);
    gone.forEach((d) => applied.add(d));
  }
  if (fresh.length > 0) {
    await deps.store.deals.upsertPage(
      id,
      fresh.map((b) => b.deal!),
    );
    const activities = fresh.flatMap((b) => b.activities);
    const stageChanges = fresh.flatMap((b) => b.stageChanges);
    const fieldChanges = fresh.flatMap((b) => b.fieldChanges);
    if (activities.length > 0) await deps.store.activities.upsertPage(id, dedupeActivities(activities));
    if (stageChanges.length > 0) await deps.store.history.upsertStageChanges(id, stageChanges);
    if (fieldChanges.length > 0) await deps.store.history.upsertFieldChanges(id, fieldChanges);
    fresh.forEach((b) => applied.add(b.deal!.externalId));
  }
  return applied;
}

/** Batch reads where the connector has them, else one deal after the other. */
async function fetchAll(
  connector: CrmConnector,
  dealIds: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, DealBundle>> {
  if (connector.fetchDeals) return connector.fetchDeals(dealIds, signal);
  const out = new Map<string, DealBundle>();
  for (const dealId of dealIds) out.set(dealId, await connector.fetchDeal(dealId, signal));
  return out;
}

/** An activity linked to two deals of a batch comes back with each: stored once. */
function dedupeActivities<T extends { externalId: string }>(activities: readonly T[]): T[] {
  return [...new Map(activities.map((a) => [a.externalId, a])).values()];
}
