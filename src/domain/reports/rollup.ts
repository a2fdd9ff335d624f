/**
 * The forecast roll-up a manager takes to the forecast call: per rep, team and in total, for the
 * current and the next fiscal quarter, closed won, commit, best case, open pipeline and the
 * expected value by the method in use, against quota.
 *
 * Consistent by construction: commit = closed won + open deals in the commit category; best case
 * = commit + open deals in the best-case category; open pipeline = every open deal not omitted.
 * So closed <= commit <= best case <= closed + open pipeline on every line.
 *
 * An open deal belongs to the quarter of its close date; one whose close date already passed
 * belongs to the current quarter (it can only close from today on) and is weighted as history
 * says overdue deals do. The category is the CRM's when set, else `forecastCategories[stage]`,
 * else by stage probability (>= 0.8 commit, >= 0.5 best case). Amounts are in the reporting
 * currency; deals in a currency without a rate are left out and counted.
 */
import type { IndexedInput } from '../indexed-input.js';
import { quotaOf } from '../model/connection.js';
import type { ForecastCategory } from '../model/deal.js';
import { dayOfIsoDate } from '../time.js';
import type { ReportContext } from './context.js';
import {
  learnForecastModel,
  METHOD_IN_USE,
  signsOn,
  stageRateIndex,
  weigh,
  type ForecastMethod,
  type ForecastModel,
  type RiskSignal,
} from './forecast-model.js';
import { fiscalQuarter, type Period } from './period.js';
import { buildTimelines, stateAt, type DealTimeline } from './timeline.js';

/** One line of the roll-up (a rep, a team or everyone). */
export interface RollupLine {
  closedWon: number;
  commit: number;
  bestCase: number;
  openPipeline: number;
  /** Closed won + open deals weighted by the method in use. */
  expected: number;
  quota: number | null;
  /** Closed won / quota. */
  attainment: number | null;
  /** Expected / quota. */
  expectedAttainment: number | null;
  /** Quota - closed won (what is still to close; negative when over quota). */
  gap: number | null;
  openDeals: number;
  overdueDeals: number;
  staleDeals: number;
  pushedDeals: number;
}

export interface RollupDeal {
  dealId: string;
  name: string;
  ownerId: string | null;
  stageId: string;
  closeDate: string | null;
  amount: number;
  category: Exclude<ForecastCategory, 'closed'>;
  /** Where the category came from. */
  categorySource: 'crm' | 'config' | 'probability';
  weight: number;
  expected: number;
  basis: string;
  signals: RiskSignal[];
}

export interface QuarterRollup {
  period: Period;
  total: RollupLine;
  teams: (RollupLine & { team: string; ownerIds: string[] })[];
  reps: (RollupLine & { ownerId: string; name: string })[];
  /** Open deals behind the numbers, largest expected first. */
  deals: RollupDeal[];
}

export interface ForecastRollup {
  currency: string;
  method: ForecastMethod;
  model: ForecastModel;
  quarters: QuarterRollup[];
  /** Deals left out because their currency has no rate to the reporting currency. */
  unconvertedDeals: number;
}

interface Acc {
  closedWon: number;
  commit: number;
  bestCase: number;
  openPipeline: number;
  weighted: number;
  openDeals: number;
  overdueDeals: number;
  staleDeals: number;
  pushedDeals: number;
}
const emptyAcc = (): Acc => ({
  closedWon: 0,
  commit: 0,
  bestCase: 0,
  openPipeline: 0,
  weighted: 0,
  openDeals: 0,
  overdueDeals: 0,
  staleDeals: 0,
  pushedDeals: 0,
});
const cents = (x: number): number => Math.round(x * 100) / 100;

function lineOf(a: Acc, quota: number | undefined): RollupLine {
  const closedWon = cents(a.closedWon);
  const expected = cents(a.closedWon + a.weighted);
  const q = quota ?? null;
  return {
    closedWon,
    commit: cents(a.closedWon + a.commit),
    bestCase: cents(a.closedWon + a.commit + a.bestCase),
    openPipeline: cents(a.openPipeline),
    expected,
    quota: q,
    attainment: q !== null && q > 0 ? Math.round((closedWon / q) * 10000) / 10000 : null,
    expectedAttainment: q !== null && q > 0 ? Math.round((expected / q) * 10000) / 10000 : null,
    gap: q === null ? null : cents(q - closedWon),
    openDeals: a.openDeals,
    overdueDeals: a.overdueDeals,
    staleDeals: a.staleDeals,
    pushedDeals: a.pushedDeals,
  };
}

function merge(into: Acc, a: Acc): void {
  for (const k of Object.keys(into) as (keyof Acc)[]) into[k] += a[k];
}

/** The category of an open deal. */
export function categoryOf(
  indexed: IndexedInput,
  pipeline: string,
  stageId: string,
  crm: ForecastCategory | null,
): { category: RollupDeal['category']; source: RollupDeal['categorySource'] } {
  if (crm !== null && crm !== 'closed') return { category: crm, source: 'crm' };
  const mapped = indexed.settings.forecastCategories?.[stageId];
  if (mapped !== undefined) return { category: mapped, source: 'config' };
  const p = indexed.stageOf(pipeline, stageId)?.stage.probability ?? 0;
  return { category: p >= 0.8 ? 'commit' : p >= 0.5 ? 'best_case' : 'pipeline', source: 'probability' };
}

/** Options of {@link computeRollup}. */
export interface RollupOptions {
  /** Timelines already built for this book (the backtest and the waterfall share them). */
  timelines?: readonly DealTimeline[];
}

/** Builds the roll-up for the current and the next fiscal quarter. */
export function computeRollup(ctx: ReportContext, options: RollupOptions = {}): ForecastRollup {
  const { indexed } = ctx;
  const fy = indexed.settings.fiscalYearStartMonth;
  const current = fiscalQuarter(indexed.today, fy);
  const next = fiscalQuarter(current.endDay, fy);
  const periods = [current, next];
  const timelines = options.timelines ?? buildTimelines(indexed);
  const model = learnForecastModel(indexed, timelines, indexed.today + 1);
  const rates = stageRateIndex(model);
  const currency = indexed.money.reportingCurrency;
  const accs = periods.map(() => new Map<string | null, Acc>());
  const dealsOf: RollupDeal[][] = periods.map(() => []);
  let unconverted = 0;
  const accFor = (q: number, owner: string | null): Acc => {
    let a = accs[q]!.get(owner);
    if (!a) accs[q]!.set(owner, (a = emptyAcc()));
    return a;
  };
  for (const t of timelines) {
    const d = t.deal;
    if (d.isClosed) {
      if (!d.isWon) continue;
      const day = d.closeDate === null ? t.closedDay : dayOfIsoDate(d.closeDate);
      const q = periods.findIndex((p) => day >= p.startDay && day < p.endDay && day <= indexed.today);
      if (q < 0) continue;
      const s = stateAt(indexed, t, indexed.today);
      if (!s || s.currency !== currency) {
        unconverted++;
        continue;
      }
      accFor(q, d.ownerId).closedWon += s.amount;
      continue;
    }
    const s = stateAt(indexed, t, indexed.today);
    if (!s) continue;
    const closeDay = Number.isNaN(s.closeDay) ? indexed.today : s.closeDay;
    const q = closeDay < current.endDay ? 0 : closeDay < next.endDay ? 1 : -1;
    if (q < 0) continue;
    if (s.currency !== currency) {
      unconverted++;
      continue;
    }
    const cat = categoryOf(indexed, d.pipeline, d.stageId, d.forecastCategory);
    if (cat.category === 'omitted') continue;
    const signals = signsOn(indexed, t, s, indexed.today);
    const w = weigh(indexed, model, rates, METHOD_IN_USE, d.pipeline, s, signals);
    const a = accFor(q, d.ownerId);
    a.openPipeline += s.amount;
    a.weighted += s.amount * w.weight;
    a.openDeals++;
    if (signals.includes('overdue')) a.overdueDeals++;
    if (signals.includes('stale')) a.staleDeals++;
    if (signals.includes('pushed')) a.pushedDeals++;
    if (cat.category === 'commit') a.commit += s.amount;
    else if (cat.category === 'best_case') a.bestCase += s.amount;
    dealsOf[q]!.push({
      dealId: d.externalId,
      name: d.name,
      ownerId: d.ownerId,
      stageId: d.stageId,
      closeDate: d.closeDate,
      amount: cents(s.amount),
      category: cat.category,
      categorySource: cat.source,
      weight: w.weight,
      expected: cents(s.amount * w.weight),
      basis: w.basis,
      signals: w.signals,
    });
  }
  const quotas = indexed.settings.quotas;
  const teamQuotas = indexed.settings.teamQuotas;
  const quarters = periods.map((p, q): QuarterRollup => {
    const byOwner = accs[q]!;
    const repQuota = (o: string): number | undefined => quotaOf(quotas?.[o], p.label);
    const sumQuota = (ids: readonly string[]): number | undefined => {
      let total: number | undefined;
      for (const o of ids) {
        const v = repQuota(o);
        if (v !== undefined) total = (total ?? 0) + v;
      }
      return total;
    };
    const reps = ctx.ownerIds
      .filter((o) => byOwner.has(o) || repQuota(o) !== undefined)
      .map((o) => ({ ownerId: o, name: ctx.ownerName(o), ...lineOf(byOwner.get(o) ?? emptyAcc(), repQuota(o)) }));
    const teams = [...ctx.teams.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([team, ids]) => {
        const acc = emptyAcc();
        for (const o of ids) {
          const a = byOwner.get(o);
          if (a) merge(acc, a);
        }
        return { team, ownerIds: [...ids], ...lineOf(acc, quotaOf(teamQuotas?.[team], p.label) ?? sumQuota(ids)) };
      });
    const all = emptyAcc();
    for (const a of byOwner.values()) merge(all, a);
    let totalQuota = sumQuota(ctx.ownerIds);
    if (totalQuota === undefined && teamQuotas !== undefined) {
      for (const t of teams) if (t.quota !== null) totalQuota = (totalQuota ?? 0) + t.quota;
    }
    return {
      period: p,
      total: lineOf(all, totalQuota),
      teams,
      reps,
      deals: dealsOf[q]!.sort((a, b) => b.expected - a.expected || a.dealId.localeCompare(b.dealId)),
    };
  });
  return { currency, method: METHOD_IN_USE, model, quarters, unconvertedDeals: unconverted };
}
