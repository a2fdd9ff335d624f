/**
 * Forecast for a period (the current fiscal quarter by default). Every number lists the deals
 * behind it. Open deals count when their close date falls in the period (overdue ones from
 * earlier periods do not: they are a close_date_passed problem, not this quarter's revenue).
 */
import { stageKey } from '../indexed-input.js';
import type { Finding } from '../model/finding.js';
import { MoneySum, roundCents, toReporting, type Money, type MoneyTotal } from '../money.js';
import type { ReportContext } from './context.js';
import { fiscalQuarter, type Period } from './period.js';

/** One deal behind a forecast number. */
export interface ForecastDeal {
  dealId: string;
  name: string;
  ownerId: string | null;
  stageId: string;
  closeDate: string | null;
  amount: Money;
  /** Weight applied (1 for closed won and commit/best-case roll-ups). */
  weight: number;
  weighted: Money;
  /** Why this weight (e.g. `historical 0.31 (n=48)`, `crm 0.6`). */
  basis: string;
}

/** A forecast number and its deals. */
export interface ForecastLine {
  total: MoneyTotal;
  deals: ForecastDeal[];
}

/** The historical conversion used for one stage. */
export interface StageConversionBasis {
  pipeline: string;
  stageId: string;
  label: string;
  rate: number;
  /** Closed deals through the stage the rate was learned from. */
  samples: number;
  source: 'historical' | 'crm_probability';
}

export interface Forecast {
  period: Period;
  currency: string;
  closedWon: ForecastLine;
  /** Open pipeline weighted by the CRM's stage probabilities. */
  crmWeighted: ForecastLine;
  /** Open pipeline weighted by historical stage-to-won conversion (the default forecast). */
  historicalWeighted: ForecastLine;
  /** Closed won + historical weighted. */
  expected: MoneyTotal;
  conversions: StageConversionBasis[];
  /** Closed won + open deals in the commit category. */
  commit: ForecastLine;
  /** Commit + best case. */
  bestCase: ForecastLine;
  /** Closed won + historical weighted, deals with open critical findings weighted by `staleDiscount` more. */
  staleAdjusted: ForecastLine & { discount: number; discountedDeals: number };
}

/** Options of {@link computeForecast}. */
export interface ForecastOptions {
  /** Default: the fiscal quarter containing today. */
  period?: Period;
  /** Open findings to discount (default: this run's). */
  findingsByDeal?: Map<string, readonly Finding[]>;
}

function line(ctx: ReportContext, deals: ForecastDeal[]): ForecastLine {
  const sum = new MoneySum(ctx.indexed.money);
  for (const d of deals) sum.addMoney(d.weighted);
  return { total: sum.total(), deals };
}

/** Builds the forecast. */
export function computeForecast(ctx: ReportContext, options: ForecastOptions = {}): Forecast {
  const { indexed } = ctx;
  const p = options.period ?? fiscalQuarter(indexed.today, indexed.settings.fiscalYearStartMonth);
  const minSamples = indexed.cfg.stuck_in_stage.minSamples;
  const discount = indexed.cfg.reports.staleDiscount;
  const findingsByDeal = options.findingsByDeal ?? ctx.evaluation.findingsByDeal;
  const conversions = new Map<string, StageConversionBasis>();
  const conversionFor = (pipeline: string, stageId: string, fallback: number): StageConversionBasis => {
    const key = stageKey(pipeline, stageId);
    let c = conversions.get(key);
    if (!c) {
      const b = ctx.evaluation.benchmarks.stages[key];
      const label = indexed.stageByKey.get(key)?.stage.label ?? stageId;
      c =
        b && b.stageToWon !== null && b.closedSamples >= minSamples
          ? { pipeline, stageId, label, rate: b.stageToWon, samples: b.closedSamples, source: 'historical' }
          : { pipeline, stageId, label, rate: fallback, samples: b?.closedSamples ?? 0, source: 'crm_probability' };
      conversions.set(key, c);
    }
    return c;
  };

  const closedWon: ForecastDeal[] = [];
  const crm: ForecastDeal[] = [];
  const hist: ForecastDeal[] = [];
  const commit: ForecastDeal[] = [];
  const best: ForecastDeal[] = [];
  const adjusted: ForecastDeal[] = [];
  let discountedDeals = 0;
  const mk = (dd: (typeof ctx.deals)[number], weight: number, basis: string): ForecastDeal => {
    const d = dd.deal;
    const amount = toReporting(d.amount ?? 0, d.currency, indexed.money);
    return {
      dealId: d.externalId,
      name: d.name,
      ownerId: d.ownerId,
      stageId: d.stageId,
      closeDate: d.closeDate,
      amount,
      weight: Math.round(weight * 10000) / 10000,
      weighted: { currency: amount.currency, amount: roundCents(amount.amount * weight) },
      basis,
    };
  };
  for (const dd of ctx.deals) {
    const d = dd.deal;
    if (!(dd.closeDay >= p.startDay && dd.closeDay < p.endDay)) continue;
    if (d.isClosed) {
      if (d.isWon && dd.closeDay <= indexed.today) {
        const x = mk(dd, 1, 'closed won');
        closedWon.push(x);
        commit.push(x);
        best.push(x);
        adjusted.push(x);
      }
      continue;
    }
    crm.push(mk(dd, dd.probability, `crm ${dd.probability}`));
    const conv = conversionFor(d.pipeline, d.stageId, dd.probability);
    const basis =
      conv.source === 'historical'
        ? `historical ${round3(conv.rate)} (n=${conv.samples})`
        : `crm ${conv.rate} (history n=${conv.samples} < ${minSamples})`;
    hist.push(mk(dd, conv.rate, basis));
    const critical = (findingsByDeal.get(d.externalId) ?? []).some((f) => f.severity === 'critical');
    if (critical) {
      discountedDeals++;
      adjusted.push(mk(dd, conv.rate * discount, `${basis} x ${discount} (open critical findings)`));
    } else adjusted.push(mk(dd, conv.rate, basis));
    if (d.forecastCategory === 'commit') {
      commit.push(mk(dd, 1, 'commit'));
      best.push(mk(dd, 1, 'commit'));
    } else if (d.forecastCategory === 'best_case') best.push(mk(dd, 1, 'best case'));
  }
  const closedLine = line(ctx, closedWon);
  const histLine = line(ctx, hist);
  const expected = new MoneySum(indexed.money);
  for (const m of [...closedLine.total, ...histLine.total]) expected.addMoney(m);
  return {
    period: p,
    currency: indexed.money.reportingCurrency,
    closedWon: closedLine,
    crmWeighted: line(ctx, crm),
    historicalWeighted: histLine,
    expected: expected.total(),
    conversions: [...conversions.values()].sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.stageId.localeCompare(b.stageId)),
    commit: line(ctx, commit),
    bestCase: line(ctx, best),
    staleAdjusted: { ...line(ctx, adjusted), discount, discountedDeals },
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
