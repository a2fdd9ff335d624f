/**
 * The stage-change fast path: a webhook event refetches its deal (with recent activities and
 * history), upserts it, scores it and writes it back, all in this one job.
 *
 * Order and staleness: the events of one deal run one at a time (a lease per deal, across worker
 * processes), and a fetched deal older than the stored one (`modifiedAt`) is not written, so a
 * late or replayed event never overwrites fresher data. Duplicates of one event never get here
 * twice: the job id is derived from the event (see the catalog).
 */
import type { JobContext, JobPayload, JobResults } from '../src/queue/index.js';
import { ConnectorCache, settingsOf, type PipelineDeps } from './deps.js';
import { scoreDeals, type BenchmarkCache } from './score.js';
import { writeBack } from './writeback.js';

export function createEventsProcessor(deps: PipelineDeps, benchmarks: BenchmarkCache) {
  // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
  const log = deps.logger.child({ module: 'events' });
  const connectors = new ConnectorCache(deps.connectorFor);
  return async function processEvent(payload: JobPayload<'events'>, context: JobContext): Promise<JobResults['events']> {
    const settings = settingsOf(deps, payload.connectionId);
    const id = settings.id;
    const dealId = payload.dealId;
    const state = await deps.store.connectionState.get(id);
    if (state.pausedReason) return { connectionId: id, dealId, refetched: false, applied: false, followUps: [] };
    // An event fired by dealwatch's own write-back (a rule on "every edit" sees our score update) would
    // start the refresh-rescore-write cycle again: the loop ends here, before any call.
    const connector = connectors.get(settings);
    if (payload.modifiedBy !== undefined && (await connector.isOwnWrite?.(payload.modifiedBy, context.signal))) {
      log.info({ connection: id, dealId, eventId: payload.eventId, kind: payload.kind }, 'event of our own write ignored');
      return { connectionId: id, dealId, refetched: false, applied: false, followUps: [] };
    }

    const applied = await deps.queues.leases.withLease(
      `deal:${id}:${dealId}`,
      async () => {
        const bundle = await connector.fetchDeal(dealId, context.signal);
        const stored = await deps.store.deals.get(id, dealId);
        const now = deps.clock().toISOString();
        if (bundle.deal === null) {
          await deps.store.deals.tombstone(id, [dealId], now);
          return true;
        }
        if (stored && !stored.isDeleted && stored.modifiedAt > bundle.deal.modifiedAt) {
          // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
          log.info({ connection: id, dealId, stored: stored.modifiedAt, fetched: bundle.deal.modifiedAt }, 'stale fetch ignored');
          return false;
        }
        await deps.store.deals.upsertPage(id, [bundle.deal]);
        if (bundle.activities.length > 0) await deps.store.activities.upsertPage(id, bundle.activities);
        if (bundle.stageChanges.length > 0) await deps.store.history.upsertStageChanges(id, bundle.stageChanges);
        if (bundle.fieldChanges.length > 0) await deps.store.history.upsertFieldChanges(id, bundle.fieldChanges);
        return true;
      },
      context.signal,
    );

    const scored = await scoreDeals(deps, benchmarks, settings, [dealId]);
    const written = await writeBack(deps, settings, scored.fieldDealIds, context.signal);
    // Stryker disable next-line all: log fields only; what the job decides is returned and asserted
    log.info({ connection: id, dealId, eventId: payload.eventId, kind: payload.kind, applied, opened: scored.opened, notes: written.notes, tasks: written.tasks }, 'event handled');
    return { connectionId: id, dealId, refetched: true, applied, followUps: [] };
  };
}
