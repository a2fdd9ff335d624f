/**
 * The three ways to weigh an open deal, learned from the deals that had closed by a given day (so
 * the backtest can learn "as of" a past day without seeing the future):
 *
 * - `crm_probability`: the stage's probability in the CRM.
 * - `stage_conversion`: the share of closed deals that passed through the deal's stage and were won
 *   (the CRM probability when fewer than `stuck_in_stage.minSamples` closed deals passed through it).
 * - `adjusted` (the service's method): the stage conversion times what history says deals with a
 *   warning sign do. Signs: close date passed while open (`overdue`), no counted activity for the
 *   pipeline's stale days (`stale`), close date pushed later twice or more (`pushed`). A sign's
 *   factor is the win rate of closed deals that showed it (checked weekly over each deal's open
 *   life) over the win rate of all closed deals, at most 1; with too few such deals, the configured
 *   `reports.staleDiscount`. A deal with several signs takes the lowest factor, not the product
 *   (the signs travel together; multiplying would count one problem twice).
 */
import { stageKey, type IndexedInput } from '../indexed-input.js';
import { staleDaysFor } from '../rules/config.js';
import { countAtMost, stateAt, staleOn, type DealState, type DealTimeline } from './timeline.js';

export const FORECAST_METHODS = ['crm_probability', 'stage_conversion', 'adjusted'] as const;
export type ForecastMethod = (typeof FORECAST_METHODS)[number];
/** The method the roll-up and the review use. */
export const METHOD_IN_USE: ForecastMethod = 'adjusted';

export const RISK_SIGNALS = ['overdue', 'stale', 'pushed'] as const;
export type RiskSignal = (typeof RISK_SIGNALS)[number];

/** Closed deals closed this many days before the learning day at most are learned from. */
const LEARN_DAYS = 730;
/** How often an open life is checked for warning signs. */
const CHECK_EVERY_DAYS = 7;
/** Pushes that make a deal "pushed". */
const PUSHES = 2;

export interface StageRate {
  pipeline: string;
  stageId: string;
  label: string;
  rate: number;
  /** Closed deals that passed through the stage. */
  samples: number;
  source: 'history' | 'crm_probability';
}

export interface RiskFactor {
  signal: RiskSignal;
  factor: number;
  /** Closed deals that showed the sign. */
  samples: number;
  /** Their win rate (null without samples). */
  winRate: number | null;
  source: 'history' | 'config';
}

export interface ForecastModel {
  /** Last day whose closings were learned from (exclusive upper bound is the learning day). */
  learnedBefore: number;
  closedDeals: number;
  baseWinRate: number | null;
  stageRates: StageRate[];
  risks: RiskFactor[];
}

/** A weight with its reason. */
export interface Weighing {
  weight: number;
  basis: string;
  signals: RiskSignal[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** What a closed deal's open life showed: the open stages it passed through, the warning signs it had. */
interface Life {
  stages: string[];
  shown: RiskSignal[];
}
/** A closed deal's life does not depend on the learning day: worked out once per timeline. */
const lives = new WeakMap<DealTimeline, Life>();

function lifeOf(indexed: IndexedInput, t: DealTimeline): Life {
  let life = lives.get(t);
  if (life) return life;
  const d = t.deal;
  const seen = new Set<string>();
  for (const c of t.stages) {
    for (const s of [c.oldValue, c.newValue]) {
      if (s === null || seen.has(s)) continue;
      const info = indexed.stageOf(d.pipeline, s);
      if (!info || info.stage.isClosed) continue;
      seen.add(s);
    }
  }
  const staleDays = staleDaysFor(indexed.cfg, d.pipeline);
  const shown = new Set<RiskSignal>();
  for (let obs = t.createdDay + CHECK_EVERY_DAYS; obs < t.closedDay && shown.size < RISK_SIGNALS.length; obs += CHECK_EVERY_DAYS) {
    const s = stateAt(indexed, t, obs);
    if (!s?.open) continue;
    if (s.closeDay < obs) shown.add('overdue');
    if (staleOn(t, obs, staleDays)) shown.add('stale');
    if (countAtMost(t.pushDays, obs) >= PUSHES) shown.add('pushed');
  }
  life = { stages: [...seen].map((s) => stageKey(d.pipeline, s)), shown: [...shown] };
  lives.set(t, life);
  return life;
}

/** Learns the model from deals closed before `day`. */
export function learnForecastModel(indexed: IndexedInput, timelines: readonly DealTimeline[], day: number): ForecastModel {
  const minSamples = indexed.cfg.stuck_in_stage.minSamples;
  const passed = new Map<string, { won: number; closed: number }>();
  const signs = new Map<RiskSignal, { won: number; closed: number }>(RISK_SIGNALS.map((s) => [s, { won: 0, closed: 0 }]));
  let won = 0;
  let closed = 0;
  for (const t of timelines) {
    if (!(t.closedDay < day) || t.closedDay < day - LEARN_DAYS) continue;
    const d = t.deal;
    closed++;
    if (d.isWon) won++;
    const { stages, shown } = lifeOf(indexed, t);
    for (const key of stages) {
      const acc = passed.get(key) ?? { won: 0, closed: 0 };
      acc.closed++;
      if (d.isWon) acc.won++;
      passed.set(key, acc);
    }
    for (const sign of shown) {
      const acc = signs.get(sign)!;
      acc.closed++;
      if (d.isWon) acc.won++;
    }
  }
  const baseWinRate = closed > 0 ? won / closed : null;
  const stageRates: StageRate[] = [];
  for (const [pipeline, stages] of indexed.stagesByPipeline) {
    for (const st of stages) {
      if (st.isClosed) continue;
      const acc = passed.get(stageKey(pipeline, st.id));
      const samples = acc?.closed ?? 0;
      stageRates.push(
        acc && samples >= minSamples
          ? { pipeline, stageId: st.id, label: st.label, rate: round3(acc.won / samples), samples, source: 'history' }
          : { pipeline, stageId: st.id, label: st.label, rate: st.probability ?? 0, samples, source: 'crm_probability' },
      );
    }
  }
  const discount = indexed.cfg.reports.staleDiscount;
  const risks: RiskFactor[] = RISK_SIGNALS.map((signal) => {
    const acc = signs.get(signal)!;
    const winRate = acc.closed > 0 ? acc.won / acc.closed : null;
    if (acc.closed >= minSamples && winRate !== null && baseWinRate !== null && baseWinRate > 0) {
      return {
        signal,
        factor: round3(Math.min(1, winRate / baseWinRate)),
        samples: acc.closed,
        winRate: round3(winRate),
        source: 'history',
      };
    }
    return { signal, factor: discount, samples: acc.closed, winRate: winRate === null ? null : round3(winRate), source: 'config' };
  });
  return { learnedBefore: day, closedDeals: closed, baseWinRate: baseWinRate === null ? null : round3(baseWinRate), stageRates, risks };
}

/** Index of a model's stage rates, for weighing many deals. */
export function stageRateIndex(model: ForecastModel): Map<string, StageRate> {
  return new Map(model.stageRates.map((r) => [stageKey(r.pipeline, r.stageId), r]));
}

/** Warning signs of a deal on `day` (its state that day). */
export function signsOn(indexed: IndexedInput, t: DealTimeline, state: DealState, day: number): RiskSignal[] {
  const out: RiskSignal[] = [];
  if (state.closeDay < day) out.push('overdue');
  if (staleOn(t, day, staleDaysFor(indexed.cfg, t.deal.pipeline))) out.push('stale');
  if (countAtMost(t.pushDays, day) >= PUSHES) out.push('pushed');
  return out;
}

/** The weight of an open deal under one method. */
export function weigh(
  indexed: IndexedInput,
  model: ForecastModel,
  rates: Map<string, StageRate>,
  method: ForecastMethod,
  pipeline: string,
  state: DealState,
  signals: readonly RiskSignal[],
): Weighing {
  const key = stageKey(pipeline, state.stageId);
  const crm = indexed.stageByKey.get(key)?.stage.probability ?? 0;
  if (method === 'crm_probability') return { weight: crm, basis: `crm ${crm}`, signals: [...signals] };
  const r = rates.get(key);
  const rate = r?.rate ?? crm;
  const basis = r?.source === 'history' ? `stage conversion ${r.rate} (n=${r.samples})` : `crm ${crm} (stage history n=${r?.samples ?? 0})`;
  if (method === 'stage_conversion' || signals.length === 0) return { weight: rate, basis, signals: [...signals] };
  let worst: RiskFactor | undefined;
  for (const s of signals) {
    const f = model.risks.find((x) => x.signal === s)!;
    if (!worst || f.factor < worst.factor) worst = f;
  }
  const w = worst!;
  const why =
    w.source === 'history'
      ? `${w.signal} deals won ${w.winRate} vs ${model.baseWinRate} (n=${w.samples})`
      : `${w.signal}: configured discount (history n=${w.samples})`;
  return { weight: Math.round(rate * w.factor * 10000) / 10000, basis: `${basis} x ${w.factor} (${why})`, signals: [...signals] };
}
