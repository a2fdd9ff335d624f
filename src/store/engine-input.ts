/**
 * The one loader of the engine's input. Scoring (a chunk of deals, or the one deal of a webhook)
 * and the reports (the whole book) read through here, so they see the same records for a deal:
 * the same windows, counted in days before the connection's today in the connection's time zone.
 * Only the scope differs: some deals, or all of them.
 */
import { createDayClock, type EngineInput, type EngineSettings } from '../domain/engine.js';
import type { BenchmarkHistory } from '../domain/engine.js';
import type { Store } from './types.js';

/** Windows, in days before today in the connection's zone. */
export const ENGINE_INPUT_DAYS = {
  /** Closed deals closed this recently: the benchmarks (win rates, stage durations) and the closed-deal rules. */
  closed: 730,
  /** Activities this recent (rules look at weeks; KPIs at a quarter and the one before). */
  activities: 400,
  /** Daily snapshots this recent (amount baselines, close-date moves, pipeline changes, last week's forecast). */
  snapshots: 120,
} as const;

/** The repositories the loader reads. */
export type EngineInputStore = Pick<Store, 'deals' | 'activities' | 'history' | 'stages' | 'owners' | 'snapshots'>;

/** The connection's today and the first day (ISO dates) and instant of each window. */
export interface EngineInputWindows {
  today: string;
  closedSince: string;
  snapshotsSince: string;
  /** Start of the first day of the activity window, as an instant. */
  activitiesSince: string;
}

const isoDate = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);

export function engineInputWindows(timezone: string, now: Date): EngineInputWindows {
  const clock = createDayClock(timezone);
  const today = clock.dayOf(now.getTime());
  return {
    today: isoDate(today),
    closedSince: isoDate(today - ENGINE_INPUT_DAYS.closed),
    snapshotsSince: isoDate(today - ENGINE_INPUT_DAYS.snapshots),
    activitiesSince: new Date(clock.startOfDay(today - ENGINE_INPUT_DAYS.activities)).toISOString(),
  };
}

/**
 * What the engine reads for `dealIds` (their open and recently closed deals, with their activities,
 * history and snapshots), or for the connection's whole book when `dealIds` is absent.
 */
export async function loadEngineInput(
  store: EngineInputStore,
  settings: EngineSettings,
  now: Date,
  dealIds?: readonly string[],
): Promise<EngineInput> {
  const id = settings.connectionId;
  const w = engineInputWindows(settings.timezone, now);
  const [open, closed, stages, owners, snapshots] = await Promise.all([
    store.deals.loadOpen(id, dealIds),
    store.deals.loadClosedSince(id, w.closedSince, dealIds),
    store.stages.list(id),
    store.owners.list(id),
    store.snapshots.read(id, w.snapshotsSince, w.today, dealIds),
  ]);
  const deals = [...open, ...closed];
  const ids = deals.map((d) => d.externalId);
  // The whole book reads all history rather than sending every id back to the database.
  const historyScope = dealIds === undefined ? {} : { dealIds: ids };
  const [activities, stageChanges, fieldChanges] = await Promise.all([
    store.activities.forDeals(id, ids, { since: w.activitiesSince }),
    store.history.stageChanges(id, historyScope),
    store.history.fieldChanges(id, historyScope),
  ]);
  return { settings, deals, activities, stageChanges, fieldChanges, stages, owners, snapshots };
}

/** What the benchmarks are learned from: the connection's recently closed deals and their stage changes. */
export async function loadBenchmarkHistory(store: EngineInputStore, settings: EngineSettings, now: Date): Promise<BenchmarkHistory> {
  const id = settings.connectionId;
  const deals = await store.deals.loadClosedSince(id, engineInputWindows(settings.timezone, now).closedSince);
  const stageChanges = await store.history.stageChanges(id, { dealIds: deals.map((d) => d.externalId) });
  return { deals, stageChanges };
}
