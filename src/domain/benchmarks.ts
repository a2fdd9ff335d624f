/**
 * What the connection's own history says: how long won deals spent in each stage, how often a
 * deal that reached a stage was won, and the overall win rate. Learned from closed deals and
 * their stage changes; below `minSamples` the engine falls back to fixed defaults and says so.
 */
import type { Deal } from './model/deal.js';
import type { StageChange } from './model/history.js';
import { MS_PER_DAY, parseInstant } from './time.js';

/** One stage's learned numbers. */
export interface StageBenchmark {
  pipeline: string;
  stageId: string;
  /** Median days won deals spent in the stage; null when no won deal passed through it. */
  medianDaysWon: number | null;
  /** Won deals with a measured stay in the stage. */
  wonSamples: number;
  /** Share of closed deals that entered the stage and were won; null when none closed. */
  stageToWon: number | null;
  /** Closed deals that entered the stage. */
  closedSamples: number;
}

/** Benchmarks of one connection; plain data, so the pipeline may cache it as JSON. */
export interface Benchmarks {
  wonDeals: number;
  lostDeals: number;
  /** won / (won + lost) over all history; null with no closed deals. */
  winRate: number | null;
  /** The minimum samples used (from `stuck_in_stage.minSamples`). */
  minSamples: number;
  /** True when the connection has fewer than `minSamples` won deals: fixed defaults apply. */
  usedDefaults: boolean;
  /** Keyed `pipeline/stageId`. */
  stages: Record<string, StageBenchmark>;
}

/** Input of {@link learnBenchmarks}: closed deals are picked from `deals`. */
export interface BenchmarkHistory {
  deals: readonly Deal[];
  stageChanges: readonly StageChange[];
}

/** Median of a list (sorted in place); null when empty. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/**
 * Learns per-stage benchmarks from closed deals. A won deal's stay in a stage is the time from
 * entering it to the next stage change; a deal "went through" every stage it entered or left.
 */
export function learnBenchmarks(history: BenchmarkHistory, minSamples = 20): Benchmarks {
  const closed = new Map<string, Deal>();
  let wonDeals = 0;
  let lostDeals = 0;
  for (const d of history.deals) {
    if (d.isDeleted || !d.isClosed) continue;
    closed.set(d.externalId, d);
    if (d.isWon) wonDeals++;
    else lostDeals++;
  }
  const changesByDeal = new Map<string, { from: string | null; to: string; at: number }[]>();
  for (const c of history.stageChanges) {
    if (!closed.has(c.dealId)) continue;
    const at = parseInstant(c.at);
    if (Number.isNaN(at)) continue;
    const list = changesByDeal.get(c.dealId);
    const item = { from: c.fromStageId, to: c.toStageId, at };
    if (list) list.push(item);
    else changesByDeal.set(c.dealId, [item]);
  }
  const stays = new Map<string, number[]>();
  const entered = new Map<string, { closed: number; won: number; pipeline: string; stageId: string }>();
  for (const [dealId, changes] of changesByDeal) {
    const deal = closed.get(dealId) as Deal;
    changes.sort((a, b) => a.at - b.at);
    const through = new Set<string>();
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      through.add(c.to);
      if (c.from !== null) through.add(c.from);
      const next = changes[i + 1];
      if (deal.isWon && next) {
        const key = `${deal.pipeline}/${c.to}`;
        const list = stays.get(key);
        const days = (next.at - c.at) / MS_PER_DAY;
        if (list) list.push(days);
        else stays.set(key, [days]);
      }
    }
    for (const stageId of through) {
      const key = `${deal.pipeline}/${stageId}`;
      let e = entered.get(key);
      if (!e) entered.set(key, (e = { closed: 0, won: 0, pipeline: deal.pipeline, stageId }));
      e.closed++;
      if (deal.isWon) e.won++;
    }
  }
  const stages: Record<string, StageBenchmark> = {};
  for (const [key, e] of entered) {
    const list = stays.get(key) ?? [];
    const med = median(list);
    stages[key] = {
      pipeline: e.pipeline,
      stageId: e.stageId,
      medianDaysWon: med === null ? null : Math.round(med * 10) / 10,
      wonSamples: list.length,
      stageToWon: e.closed > 0 ? e.won / e.closed : null,
      closedSamples: e.closed,
    };
  }
  return {
    wonDeals,
    lostDeals,
    winRate: wonDeals + lostDeals > 0 ? wonDeals / (wonDeals + lostDeals) : null,
    minSamples,
    usedDefaults: wonDeals < minSamples,
    stages,
  };
}
