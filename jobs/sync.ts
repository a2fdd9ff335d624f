/**
 * The sync processor: pulls a connection's owners, stages, deals, activities (with their deal links)
 * and history page by page. Each page is upserted before its cursor moves, so a crash or a quota
 * stop resumes from the last committed page and loses nothing. A full sync also reconciles ids
 * (deals gone from the CRM become tombstones). Then it takes the daily snapshot, records the run,
 * and enqueues scoring of the deals that changed, in chunks.
 */
import { CrmError } from '../src/domain/errors.js';
import type { ConnectionSettings, DealFieldChange, StageChange, SyncCursor, SyncStream } from '../src/domain/model/index.js';
import { describeError, runTag, type JobContext, type JobPayload, type JobRef, type JobResults } from '../src/queue/index.js';
import type { SyncCounts } from '../src/store/types.js';
import type { CrmConnector, PullOptions } from '../connectors/types.js';
import { chunked, settingsOf, type PipelineDeps } from './deps.js';
import { effectiveTimeZone, isoDateIn } from '../src/domain/time.js';
import { countSyncRun, metricsOf } from './metrics.js';
import { SyncProgressReporter } from './sync-progress.js';

/** Deals per score job: big enough to amortise loading, small enough to retry cheaply. */
export const SCORE_CHUNK = 500;

export function createSyncProcessor(deps: PipelineDeps) {
  const log = deps.logger.child({ module: 'sync' });
  return async function processSync(payload: JobPayload<'sync'>, context: JobContext): Promise<JobResults['sync']> {
    const settings = settingsOf(deps, payload.connectionId);
    const id = settings.id;
    const state = await deps.store.connectionState.get(id);
    if (state.pausedReason) {
      log.warn({ connection: id, reason: state.pausedReason }, 'connection paused: sync skipped');
      return { connectionId: id, runId: null, status: 'skipped', deals: 0, activities: 0, apiCalls: 0, followUps: [] };
    }
    const counts: Partial<SyncCounts> = { deals: 0, activities: 0, tombstones: 0, history: 0 };
    let progress: SyncProgressReporter | undefined;
    const connector = deps.connectorFor(settings, { onRateWait: (ms) => progress?.rateWait(ms) });
    progress = new SyncProgressReporter(settings, context, counts, () => connector.usage());
    const startedAt = deps.clock().toISOString();
    const startedMs = Date.now();
    const counted = (status: string) =>
      countSyncRun(metricsOf(deps), settings, { mode: payload.mode, status, seconds: (Date.now() - startedMs) / 1000, counts });
    const runId = await deps.store.syncRuns.start(id, { mode: payload.mode, trigger: payload.trigger, startedAt });
    const changed = new Set<string>();
    let status: 'ok' | 'partial' = 'ok';
    let error: string | null = null;
    try {
      await pullAll(deps, connector, settings, payload.mode, context.signal, counts, changed, progress);
    } catch (cause) {
      if (cause instanceof CrmError && cause.code === 'CRM.QUOTA_EXCEEDED') {
        // The provider's daily quota is spent: keep what is committed (cursors included) and say so.
        status = 'partial';
        error = describeError(cause);
        log.warn({ connection: id, runId }, 'daily API quota exhausted: sync partial, next run resumes from the last committed page');
      } else {
        await deps.store.syncRuns.finish(id, runId, {
          status: 'failed',
          finishedAt: deps.clock().toISOString(),
          counts,
          apiUsage: connector.usage(),
          error: describeError(cause),
        });
        counted('failed');
        throw cause;
      }
    }
    await progress.enter('snapshot');
    await deps.store.snapshots.take(id, isoDateIn(effectiveTimeZone(settings), deps.clock()));
    const usage = connector.usage();
    await deps.store.syncRuns.finish(id, runId, { status, finishedAt: deps.clock().toISOString(), counts, apiUsage: usage, error });
    counted(status);
    const followUps = await enqueueFollowUps(deps, id, runId, startedAt, [...changed].sort());
    await progress.enter('done');
    log.info({ connection: id, runId, status, ...counts, changedDeals: changed.size, apiCalls: usage.calls }, 'sync finished');
    return {
      connectionId: id,
      runId,
      status,
      deals: counts.deals ?? 0,
      activities: counts.activities ?? 0,
      apiCalls: usage.calls,
      followUps,
    };
  };
}

async function pullAll(
  deps: PipelineDeps,
  connector: CrmConnector,
  settings: ConnectionSettings,
  mode: 'incremental' | 'full',
  signal: AbortSignal,
  counts: Partial<SyncCounts>,
  changed: Set<string>,
  progress: SyncProgressReporter,
): Promise<void> {
  const { store } = deps;
  const id = settings.id;
  const now = () => deps.clock().toISOString();
  await progress.enter('metadata');
  await store.owners.upsertMany(id, await connector.pullOwners(signal));
  await store.stages.replace(id, await connector.pullStages(signal));
  // Streams in the order they are pulled below.
  const order: readonly SyncStream[] = ['deals', 'activities', 'history'];
  const stored = new Map<SyncStream, SyncCursor | null>();
  for (const stream of order) stored.set(stream, await store.cursors.get(id, stream));
  const firstWalking = order.findIndex((stream) => stored.get(stream)?.walk !== undefined);
  // A full walk left unfinished (its cursor has `walk`: a crash, a quota stop, an abort) is continued
  // whatever the mode, never sent back to the start. A full sync that finds one continues the full
  // sync that stopped: the streams before it were walked by that sync and go on incrementally, the
  // streams after it were not reached and walk. Otherwise a full sync walks every stream afresh.
  const pull = (stream: SyncStream): PullOptions => {
    const cursor = stored.get(stream) ?? null;
    if (cursor?.walk || mode === 'incremental') return { since: cursor, mode, signal };
    if (firstWalking >= 0 && order.indexOf(stream) < firstWalking) return { since: cursor, mode: 'incremental', signal };
    return { since: null, mode, signal };
  };
  const advance = async (stream: SyncStream, cursor: SyncCursor | null) => {
    if (cursor) await store.cursors.set(id, stream, cursor);
  };

  await progress.enter('deals');
  for await (const page of connector.pullDeals(pull('deals'))) {
    const result = await store.deals.upsertPage(id, page.records);
    result.changedIds.forEach((d) => changed.add(d));
    if (page.tombstones.length > 0) (await store.deals.tombstone(id, page.tombstones, now())).forEach((d) => changed.add(d));
    counts.deals = (counts.deals ?? 0) + page.records.length;
    counts.tombstones = (counts.tombstones ?? 0) + page.tombstones.length;
    if (page.history) await storeHistory(store, id, page.history, counts, changed);
    await advance('deals', page.cursor);
    await progress.page();
  }

  await progress.enter('activities');
  for await (const page of connector.pullActivities(pull('activities'))) {
    const result = await store.activities.upsertPage(id, page.records);
    const changedActivities = new Set(result.changedIds);
    for (const a of page.records) if (changedActivities.has(a.externalId)) a.dealIds.forEach((d) => changed.add(d));
    if (page.tombstones.length > 0) {
      // Deals that lose an activity are rescored (the tombstone touches the activity's links).
      const before = now();
      const tombstoned = await store.activities.tombstone(id, page.tombstones, before);
      if (tombstoned.length > 0) (await store.activities.dealIdsTouchedSince(id, before)).forEach((d) => changed.add(d));
    }
    counts.activities = (counts.activities ?? 0) + page.records.length;
    await advance('activities', page.cursor);
    await progress.page();
  }

  await progress.enter('history');
  for await (const page of connector.pullHistory(pull('history'))) {
    await storeHistory(store, id, page, counts, changed);
    await advance('history', page.cursor);
    await progress.page();
  }

  if (mode === 'full') {
    await progress.enter('reconcile');
    const live: string[] = [];
    for await (const ids of connector.listDealIds(signal)) live.push(...ids);
    const gone = await store.deals.tombstoneAllExcept(id, live, now());
    gone.forEach((d) => changed.add(d));
    counts.tombstones = (counts.tombstones ?? 0) + gone.length;
  }
}

/** Upserts history entries (from the history stream, or carried by deal pages); changed deals are rescored. */
async function storeHistory(
  store: PipelineDeps['store'],
  id: string,
  page: { stageChanges: StageChange[]; fieldChanges: DealFieldChange[] },
  counts: Partial<SyncCounts>,
  changed: Set<string>,
): Promise<void> {
  const stages = await store.history.upsertStageChanges(id, page.stageChanges);
  const fields = await store.history.upsertFieldChanges(id, page.fieldChanges);
  if (stages.inserted + stages.updated > 0) page.stageChanges.forEach((c) => changed.add(c.dealId));
  if (fields.inserted + fields.updated > 0) page.fieldChanges.forEach((c) => changed.add(c.dealId));
  counts.history = (counts.history ?? 0) + page.stageChanges.length + page.fieldChanges.length;
}

async function enqueueFollowUps(
  deps: PipelineDeps,
  connectionId: string,
  runId: number,
  runStartedAt: string,
  changed: string[],
): Promise<JobRef[]> {
  if (changed.length === 0) {
    // Nothing to rescore, but write-backs may still be due (e.g. the connection just left dry-run).
    return [await deps.queues.enqueue('writeback', { connectionId, cause: `sync-${runTag(runId, runStartedAt)}` })];
  }
  return deps.queues.enqueueMany(
    'score',
    chunked(changed, SCORE_CHUNK).map((dealIds, chunk) => ({
      connectionId,
      dealIds,
      runId,
      runStartedAt,
      chunk,
      refreshBenchmarks: chunk === 0,
    })),
  );
}
