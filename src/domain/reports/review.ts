/**
 * The morning review: one structure answering "what needs my attention today": deals with new
 * critical findings, reps ranked by stale pipeline and compliance, KPI trend flags, and the
 * forecast against last week's (rebuilt from the snapshots of 7 days ago).
 */
import { stageKey } from '../indexed-input.js';
import type { FindingsDiff } from '../findings/diff.js';
import type { Finding } from '../model/finding.js';
import { amountIn, MoneySum, type MoneyTotal } from '../money.js';
import { dayOfIsoDate, isoDateOfDay } from '../time.js';
import type { ReportContext } from './context.js';
import type { Forecast } from './forecast.js';
import type { KpiReport, TrendFlag } from './kpis.js';
import type { BacktestReport } from './backtest.js';
import type { ForecastMethod } from './forecast-model.js';
import type { ForecastRollup, RollupLine } from './rollup.js';
import {
  findActivityCollapses,
  findConcentrations,
  findStageConversionGaps,
  groupFindings,
  significantForRep,
  type ActivityCollapse,
  type Concentration,
  type FindingGroup,
  type StageConversionGap,
} from './causes.js';
import { computeCoaching, type Coaching } from './coaching.js';

export interface MorningReview {
  asOf: string;
  timezone: string;
  currency: string;
  /** Deals with critical findings opened by this run (or all open critical ones without a diff). */
  newCritical: {
    dealId: string;
    name: string;
    ownerId: string | null;
    ownerName: string;
    amount: MoneyTotal;
    score: number | null;
    findings: Finding[];
  }[];
  /** Reps, most stale pipeline first (then lowest compliance). */
  reps: {
    ownerId: string;
    name: string;
    stalePipeline: MoneyTotal;
    staleDeals: number;
    staleShare: number | null;
    complianceRate: number | null;
    openDeals: number;
  }[];
  trendFlags: { scope: string; name: string; period: string; flag: TrendFlag }[];
  forecast: {
    period: string;
    expectedNow: number;
    expectedLastWeek: number | null;
    change: number | null;
    closedWonNow: number;
    currency: string;
  };
  /** Every open finding of the run, grouped by rep and rule: one actionable line each. */
  findingsByRep: FindingGroup[];
  /** Rules whose findings sit mostly with one rep. */
  concentrations: Concentration[];
  /** Reps whose activity fell far below their own baseline. */
  activityCollapses: ActivityCollapse[];
  /** Per rep, the one stage where the rep's conversion falls far below the team's. */
  stageConversionGaps: StageConversionGap[];
  /** The roll-up to take to the forecast call (present when computed). */
  forecastCall: ForecastCall | null;
}

/** The forecast call's numbers: method in use, its measured error, the quarters' totals. */
export interface ForecastCall {
  method: ForecastMethod;
  /** The method's backtest error (null without a backtest or without won deals to compare). */
  measuredError: { meanAbsPercentError: number | null; meanBias: number | null; points: number; quarters: string[] } | null;
  currency: string;
  quarters: { label: string; total: RollupLine }[];
}

export interface ReviewInput {
  kpis: KpiReport;
  forecast: Forecast;
  /** This run's diff against the ledger; without it every open critical finding is "new". */
  diff?: FindingsDiff;
  rollup?: ForecastRollup;
  backtest?: BacktestReport;
  /** Coaching of the same context (else computed): where stage conversion gaps come from. */
  coaching?: Coaching;
}

/** Builds the morning review. */
export function buildMorningReview(ctx: ReportContext, input: ReviewInput): MorningReview {
  const { indexed, evaluation } = ctx;
  const currency = indexed.money.reportingCurrency;
  const critical: Finding[] = input.diff
    ? input.diff.opened.map((o) => o.finding).filter((f) => f.severity === 'critical')
    : evaluation.findings.filter((f) => f.severity === 'critical');
  const byDeal = new Map<string, Finding[]>();
  for (const f of critical) {
    const l = byDeal.get(f.dealId);
    if (l) l.push(f);
    else byDeal.set(f.dealId, [f]);
  }
  const newCritical = [...byDeal.entries()]
    .map(([dealId, findings]) => {
      const d = indexed.dealsById.get(dealId);
      const sum = new MoneySum(indexed.money);
      if (d) sum.add(d.amount ?? 0, d.currency);
      return {
        dealId,
        name: d?.name ?? dealId,
        ownerId: d?.ownerId ?? null,
        ownerName: ctx.ownerName(d?.ownerId ?? null),
        amount: sum.total(),
        score: evaluation.scoreByDeal.get(dealId)?.score ?? null,
        findings,
      };
    })
    .sort((a, b) => amountIn(b.amount, currency) - amountIn(a.amount, currency) || a.dealId.localeCompare(b.dealId));

  const reps = input.kpis.reps
    .filter((r) => r.state.openDeals > 0)
    .map((r) => ({
      ownerId: r.id,
      name: r.name,
      stalePipeline: r.state.stalePipeline,
      staleDeals: r.state.staleDeals,
      staleShare: r.state.staleShare,
      complianceRate: r.state.compliance.rate,
      openDeals: r.state.openDeals,
    }))
    .sort(
      (a, b) =>
        amountIn(b.stalePipeline, currency) - amountIn(a.stalePipeline, currency) ||
        (a.complianceRate ?? 1) - (b.complianceRate ?? 1) ||
        a.ownerId.localeCompare(b.ownerId),
    );

  // a rep's flag stays only when it stands out from the rep's own weekly history
  const trendFlags: MorningReview['trendFlags'] = [];
  const weekly = new Map<string, number[]>();
  for (const s of [input.kpis.connection, ...input.kpis.teams, ...input.kpis.reps])
    for (const p of s.periods)
      for (const flag of p.trendFlags) {
        if (!flag.concern) continue;
        const counts =
          flag.kpi === 'cohortWinRate'
            ? { current: p.current.cohort, previous: p.previous.cohort }
            : { current: p.current, previous: p.previous };
        if (s.scope === 'rep' && !significantForRep(ctx, s.id, flag, p.period, counts, weekly)) continue;
        trendFlags.push({ scope: s.scope, name: s.name, period: p.period.label, flag });
      }
  const groups = groupFindings(ctx, evaluation.findings);

  return {
    asOf: isoDateOfDay(indexed.today),
    timezone: indexed.settings.timezone,
    currency,
    newCritical,
    reps,
    trendFlags,
    forecast: forecastVsLastWeek(ctx, input.forecast),
    findingsByRep: groups,
    concentrations: findConcentrations(groups),
    activityCollapses: findActivityCollapses(ctx),
    stageConversionGaps: findStageConversionGaps(input.coaching ?? computeCoaching(ctx)),
    forecastCall: input.rollup ? forecastCall(input.rollup, input.backtest) : null,
  };
}

function forecastCall(rollup: ForecastRollup, backtest: BacktestReport | undefined): ForecastCall {
  const measured = backtest?.summary.find((s) => s.method === rollup.method);
  return {
    method: rollup.method,
    measuredError:
      measured && backtest
        ? {
            meanAbsPercentError: measured.meanAbsPercentError,
            meanBias: measured.meanBias,
            points: measured.points,
            quarters: backtest.quarters,
          }
        : null,
    currency: rollup.currency,
    quarters: rollup.quarters.map((q) => ({ label: q.period.label, total: q.total })),
  };
}

/** Expected revenue of the forecast period as the snapshots of 7 days ago saw it, same weights. */
function forecastVsLastWeek(ctx: ReportContext, forecast: Forecast): MorningReview['forecast'] {
  const { indexed } = ctx;
  const currency = indexed.money.reportingCurrency;
  const expectedNow = amountIn(forecast.expected, currency);
  const weekAgo = indexed.today - 7;
  const snaps = ctx.snapshotsAsOf(weekAgo);
  let expectedLastWeek: number | null = null;
  if (snaps.size > 0) {
    const rate = new Map(forecast.conversions.map((c) => [stageKey(c.pipeline, c.stageId), c.rate]));
    const sum = new MoneySum(indexed.money);
    for (const s of snaps.values()) {
      const closeDay = s.closeDate === null ? NaN : dayOfIsoDate(s.closeDate);
      if (!(closeDay >= forecast.period.startDay && closeDay < forecast.period.endDay)) continue;
      if (s.isClosed) {
        if (s.isWon && closeDay <= weekAgo) sum.add(s.amount ?? 0, s.currency);
        continue;
      }
      const key = stageKey(s.pipeline, s.stageId);
      const w = rate.get(key) ?? indexed.stageByKey.get(key)?.stage.probability ?? s.probability ?? 0;
      sum.add((s.amount ?? 0) * w, s.currency);
    }
    expectedLastWeek = amountIn(sum.total(), currency);
  }
  return {
    period: forecast.period.label,
    expectedNow,
    expectedLastWeek,
    change: expectedLastWeek === null ? null : Math.round((expectedNow - expectedLastWeek) * 100) / 100,
    closedWonNow: amountIn(forecast.closedWon.total, currency),
    currency,
  };
}
