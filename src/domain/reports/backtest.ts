/**
 * Backtest of the forecast methods: for each of the last N complete fiscal quarters, the open
 * pipeline is rebuilt as it stood at the start and at the middle of the quarter from the CRM's
 * history (see ./timeline.ts), each method weighs it with a model learned only from deals closed
 * before that day, and the forecast is compared with what was actually won in the quarter.
 *
 * forecast = won in the quarter before that day + weighted open deals whose close date (as it
 *            stood) fell before the quarter's end (overdue ones included);
 * actual   = won in the quarter (day of the move into a won stage, else the close date);
 * error    = forecast - actual; absolute percentage error |error| / actual; bias error / actual.
 * Deals created after the as-of day are in the actual and in no forecast: every method shares
 * that blind spot, which shows as negative bias. Amounts in the reporting currency; deals in a
 * currency without a rate are left out of both sides and counted.
 */
import type { IndexedInput } from '../indexed-input.js';
import { fiscalQuarterOf, isoDateOfDay } from '../time.js';
import {
  FORECAST_METHODS,
  learnForecastModel,
  METHOD_IN_USE,
  signsOn,
  stageRateIndex,
  weigh,
  type ForecastMethod,
} from './forecast-model.js';
import { buildTimelines, stateAt, type DealTimeline } from './timeline.js';

export interface MethodResult {
  method: ForecastMethod;
  forecast: number;
  /** forecast - actual. */
  error: number;
  /** |error| / actual; null when nothing was won. */
  absPercentError: number | null;
  /** error / actual; null when nothing was won. */
  bias: number | null;
}

export interface BacktestPoint {
  quarter: string;
  point: 'start' | 'middle';
  /** The day the pipeline was rebuilt for (as it stood at the end of the day before). */
  asOf: string;
  actual: number;
  /** Won in the quarter before the as-of day. */
  wonBefore: number;
  openDeals: number;
  openPipeline: number;
  /** Closed deals the models learned from. */
  learnedFrom: number;
  methods: MethodResult[];
}

export interface MethodSummary {
  method: ForecastMethod;
  /** Mean absolute percentage error over the points with something won. */
  meanAbsPercentError: number | null;
  /** Mean signed percentage error (negative = under-forecast). */
  meanBias: number | null;
  points: number;
}

export interface BacktestReport {
  currency: string;
  methodInUse: ForecastMethod;
  quarters: string[];
  points: BacktestPoint[];
  summary: MethodSummary[];
  unconvertedDeals: number;
}

export interface BacktestOptions {
  /** Complete quarters to test, most recent first. @defaultValue 4 */
  quarters?: number;
  timelines?: readonly DealTimeline[];
}

const cents = (x: number): number => Math.round(x * 100) / 100;
const ratio = (x: number): number => Math.round(x * 10000) / 10000;

/** Runs the backtest over the last `quarters` complete fiscal quarters. */
export function runBacktest(indexed: IndexedInput, options: BacktestOptions = {}): BacktestReport {
  const n = options.quarters ?? 4;
  const timelines = options.timelines ?? buildTimelines(indexed);
  const fy = indexed.settings.fiscalYearStartMonth;
  const currency = indexed.money.reportingCurrency;
  const quarters: { label: string; startDay: number; endDay: number }[] = [];
  let cursor = fiscalQuarterOf(indexed.today, fy).startDay;
  for (let i = 0; i < n; i++) {
    const q = fiscalQuarterOf(cursor - 1, fy);
    quarters.push(q);
    cursor = q.startDay;
  }
  let unconverted = 0;
  /** Won deals: day won and amount then. */
  const won: { day: number; amount: number }[] = [];
  for (const t of timelines) {
    if (!t.deal.isClosed || !t.deal.isWon || Number.isNaN(t.closedDay)) continue;
    const s = stateAt(indexed, t, t.closedDay);
    if (!s) continue;
    if (s.currency !== currency) {
      unconverted++;
      continue;
    }
    won.push({ day: t.closedDay, amount: s.amount });
  }
  const wonBetween = (from: number, to: number): number => {
    let sum = 0;
    for (const w of won) if (w.day >= from && w.day < to) sum += w.amount;
    return sum;
  };
  const points: BacktestPoint[] = [];
  for (const q of quarters) {
    const actual = cents(wonBetween(q.startDay, q.endDay));
    const middle = q.startDay + Math.floor((q.endDay - q.startDay) / 2);
    for (const [point, asOf] of [
      ['start', q.startDay],
      ['middle', middle],
    ] as const) {
      const model = learnForecastModel(indexed, timelines, asOf);
      const rates = stageRateIndex(model);
      const wonBefore = wonBetween(q.startDay, asOf);
      const sums = new Map<ForecastMethod, number>(FORECAST_METHODS.map((m) => [m, wonBefore]));
      let openDeals = 0;
      let openPipeline = 0;
      const day = asOf - 1;
      for (const t of timelines) {
        const s = stateAt(indexed, t, day);
        if (!s?.open || !(s.closeDay < q.endDay)) continue;
        if (s.currency !== currency) continue;
        openDeals++;
        openPipeline += s.amount;
        const signals = signsOn(indexed, t, s, day);
        for (const m of FORECAST_METHODS)
          sums.set(m, sums.get(m)! + s.amount * weigh(indexed, model, rates, m, t.deal.pipeline, s, signals).weight);
      }
      points.push({
        quarter: q.label,
        point,
        asOf: isoDateOfDay(asOf),
        actual,
        wonBefore: cents(wonBefore),
        openDeals,
        openPipeline: cents(openPipeline),
        learnedFrom: model.closedDeals,
        methods: FORECAST_METHODS.map((method) => {
          const forecast = cents(sums.get(method)!);
          const error = cents(forecast - actual);
          return {
            method,
            forecast,
            error,
            absPercentError: actual > 0 ? ratio(Math.abs(error) / actual) : null,
            bias: actual > 0 ? ratio(error / actual) : null,
          };
        }),
      });
    }
  }
  const summary = FORECAST_METHODS.map((method): MethodSummary => {
    const results = points.map((p) => p.methods.find((m) => m.method === method)!).filter((m) => m.absPercentError !== null);
    const mean = (xs: number[]): number | null => (xs.length === 0 ? null : ratio(xs.reduce((a, b) => a + b, 0) / xs.length));
    return {
      method,
      meanAbsPercentError: mean(results.map((r) => r.absPercentError!)),
      meanBias: mean(results.map((r) => r.bias!)),
      points: results.length,
    };
  });
  return { currency, methodInUse: METHOD_IN_USE, quarters: quarters.map((q) => q.label), points, summary, unconvertedDeals: unconverted };
}
