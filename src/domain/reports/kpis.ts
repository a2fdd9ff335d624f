/**
 * Manager KPIs per rep, per team and for the connection, over periods compared with the
 * previous ones. Formulas (each period, by close day / created day / activity day in the
 * connection's zone):
 * - win rate = won / (won + lost) of deals closed in the period;
 * - cohort win rate = won / created, of deals created in the period, counting only wins within the
 *   same age for both periods (a cohort that started 20 days ago is compared with the previous
 *   cohort's wins in its first 20 days; otherwise an immature cohort always looks worse);
 * - stage conversion = of deals entering a stage in the period, the share that later reached a
 *   later stage (still-open deals count as not yet advanced);
 * - average deal size = mean amount of won deals, per currency;
 * - median sales cycle = median days from creation to close of won deals;
 * - pipeline velocity = qualified open deals x win rate x average deal size / median cycle (per day);
 * - activity volume = counted activities (not ours, not future, completed tasks) by type, and per week;
 * - state KPIs (as of now): open pipeline, stale pipeline value and share, CRM compliance rate
 *   (share of open deals with an activity in the compliance window), quota coverage.
 */
import type { ActivityType } from '../model/activity.js';
import { quotaOf } from '../model/connection.js';
import { countsAsActivity, type ParsedStageChange } from '../indexed-input.js';
import { median } from '../benchmarks.js';
import { amountIn, MoneySum, roundCents, toReporting, type MoneyContext, type MoneyTotal } from '../money.js';
import { fiscalQuarterOf, isoDateOfDay } from '../time.js';
import type { DealDays, ReportContext } from './context.js';
import { inPeriod, previousPeriod, quarterToDate, trailingDays, type Period } from './period.js';

/** KPIs measured over a period. */
export interface PeriodKpis {
  won: number;
  lost: number;
  /** won / (won + lost); null without closed deals. */
  winRate: number | null;
  cohort: { created: number; won: number; lost: number; winRate: number | null };
  stageConversion: { pipeline: string; stageId: string; label: string; entered: number; advanced: number; rate: number | null }[];
  /** Mean won amount, one line per currency. */
  avgDealSize: MoneyTotal;
  wonAmount: MoneyTotal;
  medianSalesCycleDays: number | null;
  /** Expected revenue per day: qualified open deals x win rate x average deal size / cycle days. */
  pipelineVelocityPerDay: MoneyTotal;
  /** `weekly`: counts per local week (Monday start), oldest first, weeks clipped to the period. */
  activities: { total: number; byType: Record<ActivityType, number>; perWeek: number; weekly: { weekStart: string; count: number }[] };
}

/** KPIs that describe the book now. */
export interface StateKpis {
  openDeals: number;
  qualifiedOpenDeals: number;
  openPipeline: MoneyTotal;
  staleDeals: number;
  stalePipeline: MoneyTotal;
  /** Stale value / open value in the reporting currency; null when there is none. */
  staleShare: number | null;
  compliance: { openDeals: number; withRecentActivity: number; rate: number | null; windowDays: number };
  /** Present when quotas are configured for the scope. */
  quota: {
    quarter: string;
    quota: number;
    wonToDate: number;
    attainment: number | null;
    remaining: number;
    pipelineThisQuarter: number;
    coverage: number | null;
    currency: string;
  } | null;
}

/** A KPI that moved beyond its band against the previous period. */
export interface TrendFlag {
  kpi: string;
  current: number;
  previous: number;
  /** Relative change in percent (or percentage points for rates). */
  changePercent: number;
  bandPercent: number;
  direction: 'up' | 'down';
  /** True when the move is bad news. */
  concern: boolean;
  message: string;
}

export interface PeriodComparison {
  period: Period;
  previousPeriod: Period;
  current: PeriodKpis;
  previous: PeriodKpis;
  trendFlags: TrendFlag[];
}

/** KPIs of one scope. */
export interface ScopeKpis {
  scope: 'connection' | 'team' | 'rep';
  id: string;
  name: string;
  ownerIds: string[];
  state: StateKpis;
  periods: PeriodComparison[];
}

export interface KpiReport {
  currency: string;
  connection: ScopeKpis;
  teams: ScopeKpis[];
  reps: ScopeKpis[];
}

/** Options of {@link computeKpis}. */
export interface KpiOptions {
  /** Periods to report; default trailing 30 days and quarter to date. */
  periods?: Period[];
}

const ACTIVITY_TYPES: ActivityType[] = ['call', 'email', 'meeting', 'note', 'task'];

interface Acc {
  won: number;
  lost: number;
  wonSum: Map<string, { sum: number; n: number }>;
  cycles: number[];
  created: number;
  cohortWon: number;
  cohortLost: number;
  stages: Map<string, { entered: number; advanced: number }>;
  activities: Record<ActivityType, number>;
  /** Monday day number -> activities that week. */
  weeks: Map<number, number>;
}

const newAcc = (): Acc => ({
  won: 0,
  lost: 0,
  wonSum: new Map(),
  cycles: [],
  created: 0,
  cohortWon: 0,
  cohortLost: 0,
  stages: new Map(),
  activities: { call: 0, email: 0, meeting: 0, note: 0, task: 0 },
  weeks: new Map(),
});

/** Adds each entry's counts of `from` to the same key's in `into` (a copy where `into` has none). */
function addCounts<T extends Record<string, number>>(into: Map<string, T>, from: ReadonlyMap<string, T>): void {
  for (const [key, counts] of from) {
    const target: Record<string, number> | undefined = into.get(key);
    if (!target) into.set(key, { ...counts });
    else for (const [field, n] of Object.entries(counts)) target[field] = (target[field] ?? 0) + n;
  }
}

function mergeAcc(into: Acc, a: Acc): void {
  into.won += a.won;
  into.lost += a.lost;
  addCounts(into.wonSum, a.wonSum);
  for (const x of a.cycles) into.cycles.push(x);
  into.created += a.created;
  into.cohortWon += a.cohortWon;
  into.cohortLost += a.cohortLost;
  addCounts(into.stages, a.stages);
  for (const t of ACTIVITY_TYPES) into.activities[t] += a.activities[t];
  for (const [w, n] of a.weeks) into.weeks.set(w, (into.weeks.get(w) ?? 0) + n);
}

interface StateAcc {
  open: number;
  qualified: number;
  openValue: MoneySum;
  stale: number;
  staleValue: MoneySum;
  compliant: number;
  quarterPipeline: MoneySum;
  wonQuarter: MoneySum;
}

const newState = (m: MoneyContext): StateAcc => ({
  open: 0,
  qualified: 0,
  openValue: new MoneySum(m),
  stale: 0,
  staleValue: new MoneySum(m),
  compliant: 0,
  quarterPipeline: new MoneySum(m),
  wonQuarter: new MoneySum(m),
});

function mergeState(into: StateAcc, a: StateAcc): void {
  into.open += a.open;
  into.qualified += a.qualified;
  into.stale += a.stale;
  into.compliant += a.compliant;
  for (const m of a.openValue.total()) into.openValue.addMoney(m);
  for (const m of a.staleValue.total()) into.staleValue.addMoney(m);
  for (const m of a.quarterPipeline.total()) into.quarterPipeline.addMoney(m);
  for (const m of a.wonQuarter.total()) into.wonQuarter.addMoney(m);
}

const NONE = '\u0000none';

/** Computes KPIs for every rep, team and the connection. */
export function computeKpis(ctx: ReportContext, options: KpiOptions = {}): KpiReport {
  const { indexed } = ctx;
  const fy = indexed.settings.fiscalYearStartMonth;
  const rc = indexed.cfg.reports;
  const money = indexed.money;
  const periods = options.periods ?? [trailingDays(indexed.today, 30), quarterToDate(indexed.today, fy)];
  const allPeriods = periods.flatMap((p) => [p, previousPeriod(p, fy)]);
  // Last close day a cohort win may have, per period: the current cohort's age to date, applied to
  // both the current and the previous period so that the two cohorts compare at equal age.
  const cohortHorizons = allPeriods.map((p, i) => {
    const current = allPeriods[i - (i % 2)]!;
    const age = Math.min(indexed.today, current.endDay - 1) - current.startDay;
    return p.startDay + age;
  });
  const quarter = fiscalQuarterOf(indexed.today, fy);

  const accs = new Map<string, Acc[]>();
  const accsFor = (owner: string | null): Acc[] => {
    const k = owner ?? NONE;
    let a = accs.get(k);
    if (!a) accs.set(k, (a = allPeriods.map(newAcc)));
    return a;
  };
  const states = new Map<string, StateAcc>();
  const stateFor = (owner: string | null): StateAcc => {
    const k = owner ?? NONE;
    let s = states.get(k);
    if (!s) states.set(k, (s = newState(money)));
    return s;
  };

  for (const dd of ctx.deals) {
    const d = dd.deal;
    const pa = accsFor(d.ownerId);
    const moves = stageEntries(ctx, d.pipeline, dd.stageChanges);
    for (let i = 0; i < allPeriods.length; i++) addDealToPeriod(pa[i]!, dd, allPeriods[i]!, cohortHorizons[i]!, moves, money);
    const st = stateFor(d.ownerId);
    if (!d.isClosed) {
      const amount = d.amount ?? 0;
      st.open++;
      st.openValue.add(amount, d.currency);
      if (dd.probability >= rc.qualifiedFromProbability) st.qualified++;
      if (dd.stale) {
        st.stale++;
        st.staleValue.add(amount, d.currency);
      }
      if (dd.compliant) st.compliant++;
      if (dd.closeDay >= quarter.startDay && dd.closeDay < quarter.endDay) st.quarterPipeline.add(amount, d.currency);
    } else if (d.isWon && dd.closeDay >= quarter.startDay && dd.closeDay <= indexed.today) {
      st.wonQuarter.add(d.amount ?? 0, d.currency);
    }
  }

  // Activities: one pass, attributed to the activity's owner.
  const startDay = Math.min(...allPeriods.map((p) => p.startDay));
  const startMs = indexed.clock.startOfDay(startDay);
  const acts = indexed.input.activities;
  for (let i = 0; i < acts.length; i++) {
    const a = acts[i]!;
    const at = indexed.activityMs[i]!;
    if (!(at >= startMs) || !countsAsActivity(a.type, a.completed, a.origin, a.isDeleted, at, indexed.nowMs)) continue;
    const day = indexed.clock.dayOf(at);
    const pa = accsFor(a.ownerId);
    const monday = mondayOf(day);
    for (let i = 0; i < allPeriods.length; i++) {
      if (!inPeriod(day, allPeriods[i]!)) continue;
      const acc = pa[i]!;
      acc.activities[a.type]++;
      acc.weeks.set(monday, (acc.weeks.get(monday) ?? 0) + 1);
    }
  }

  const build = (scope: ScopeKpis['scope'], id: string, name: string, ownerIds: (string | null)[]): ScopeKpis => {
    const merged = allPeriods.map(newAcc);
    const state = newState(money);
    for (const o of ownerIds) {
      const a = accs.get(o ?? NONE);
      if (a) a.forEach((x, i) => mergeAcc(merged[i]!, x));
      const s = states.get(o ?? NONE);
      if (s) mergeState(state, s);
    }
    const quotaTotal = quotaTotalOf(ctx, ownerIds, quarter.label);
    const stateKpis = toState(state, money.reportingCurrency, indexed.cfg.activity_not_logged.complianceDays, quotaTotal, quarter.label);
    const comparisons = periods.map((p, i) => {
      const current = toPeriodKpis(merged[i * 2]!, p, ctx, state.qualified);
      const prevP = allPeriods[i * 2 + 1]!;
      const previous = toPeriodKpis(merged[i * 2 + 1]!, prevP, ctx, state.qualified);
      return { period: p, previousPeriod: prevP, current, previous, trendFlags: trendFlags(current, previous, ctx) };
    });
    return { scope, id, name, ownerIds: ownerIds.filter((o): o is string => o !== null), state: stateKpis, periods: comparisons };
  };

  const reps = ctx.ownerIds.map((o) => build('rep', o, ctx.ownerName(o), [o]));
  const teams = [...ctx.teams.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, ids]) => build('team', t, t, ids));
  const everyone = [...new Set([...accs.keys(), ...states.keys()])].map((k) => (k === NONE ? null : k));
  const connection = build('connection', indexed.settings.connectionId, indexed.settings.connectionId, everyone);
  return { currency: money.reportingCurrency, connection, teams, reps };
}

function quotaTotalOf(ctx: ReportContext, ownerIds: (string | null)[], quarterLabel: string): number | null {
  const quotas = ctx.indexed.settings.quotas;
  if (!quotas) return null;
  let total = 0;
  let any = false;
  for (const o of ownerIds) {
    const q = o === null ? undefined : quotaOf(quotas[o], quarterLabel);
    if (q !== undefined) {
      total += q;
      any = true;
    }
  }
  return any ? total : null;
}

function addDealToPeriod(acc: Acc, dd: DealDays, p: Period, cohortHorizon: number, moves: StageEntries | null, money: MoneyContext): void {
  const d = dd.deal;
  if (d.isClosed && inPeriod(dd.closeDay, p)) {
    if (d.isWon) {
      acc.won++;
      if (d.amount !== null) {
        const m = toReporting(d.amount, d.currency, money);
        const t = acc.wonSum.get(m.currency) ?? { sum: 0, n: 0 };
        t.sum += m.amount;
        t.n++;
        acc.wonSum.set(m.currency, t);
      }
      acc.cycles.push(Math.max(0, dd.closeDay - dd.createdDay));
    } else acc.lost++;
  }
  if (inPeriod(dd.createdDay, p)) {
    acc.created++;
    if (d.isClosed && dd.closeDay <= cohortHorizon) {
      if (d.isWon) acc.cohortWon++;
      else acc.cohortLost++;
    }
  }
  if (!moves) return;
  for (let i = 0; i < moves.keys.length; i++) {
    const key = moves.keys[i];
    if (key === null || key === undefined || !inPeriod(moves.days[i]!, p)) continue;
    const t = acc.stages.get(key) ?? { entered: 0, advanced: 0 };
    t.entered++;
    if (moves.advanced[i] === 1) t.advanced++;
    acc.stages.set(key, t);
  }
}

/** A deal's entries into open stages: day, stage key, and whether it later reached a later stage. */
interface StageEntries {
  keys: (string | null)[];
  days: number[];
  advanced: Uint8Array;
}

function stageEntries(ctx: ReportContext, pipeline: string, changes: readonly ParsedStageChange[] | undefined): StageEntries | null {
  if (!changes) return null;
  const n = changes.length;
  const keys: (string | null)[] = new Array(n);
  const days: number[] = new Array(n);
  const advanced = new Uint8Array(n);
  let maxAfter = -1;
  for (let i = n - 1; i >= 0; i--) {
    const c = changes[i]!;
    const info = ctx.indexed.stageOf(pipeline, c.toStageId);
    const r = info?.rank ?? -1;
    keys[i] = info && !info.stage.isClosed ? info.key : null;
    days[i] = ctx.indexed.clock.dayOf(c.atMs);
    if (maxAfter > r) advanced[i] = 1;
    if (r > maxAfter) maxAfter = r;
  }
  return { keys, days, advanced };
}

/** Day number of the Monday starting the week of `day` (1970-01-01 was a Thursday). */
function mondayOf(day: number): number {
  return day - ((((day + 3) % 7) + 7) % 7);
}

/** Mondays of the weeks overlapping a period. */
function weeksOf(p: Period): number[] {
  const out: number[] = [];
  for (let w = mondayOf(p.startDay); w < p.endDay; w += 7) out.push(w);
  return out;
}

function toPeriodKpis(acc: Acc, p: Period, ctx: ReportContext, qualifiedOpen: number): PeriodKpis {
  const currency = ctx.indexed.money.reportingCurrency;
  const closed = acc.won + acc.lost;
  const winRate = closed > 0 ? acc.won / closed : null;
  const avg: MoneyTotal = [];
  const wonAmount: MoneyTotal = [];
  for (const [c, v] of acc.wonSum) {
    avg.push({ currency: c, amount: roundCents(v.sum / v.n) });
    wonAmount.push({ currency: c, amount: roundCents(v.sum) });
  }
  const byCurrency = (a: { currency: string }, b: { currency: string }): number =>
    a.currency === currency ? -1 : b.currency === currency ? 1 : a.currency.localeCompare(b.currency);
  avg.sort(byCurrency);
  wonAmount.sort(byCurrency);
  const cycle = median([...acc.cycles]);
  const velocity: MoneyTotal =
    winRate !== null && cycle !== null
      ? avg.map((m) => ({ currency: m.currency, amount: roundCents((qualifiedOpen * winRate * m.amount) / Math.max(1, cycle)) }))
      : [];
  const stageConversion = [...acc.stages.entries()]
    .map(([k, v]) => {
      const info = ctx.indexed.stageByKey.get(k)!;
      return {
        pipeline: info.stage.pipeline,
        stageId: info.stage.id,
        label: info.stage.label,
        entered: v.entered,
        advanced: v.advanced,
        rate: v.entered > 0 ? v.advanced / v.entered : null,
        rank: info.rank,
      };
    })
    .sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.rank - b.rank)
    .map(({ rank: _rank, ...rest }) => rest);
  const total = ACTIVITY_TYPES.reduce((s, t) => s + acc.activities[t], 0);
  const days = p.endDay - p.startDay;
  return {
    won: acc.won,
    lost: acc.lost,
    winRate,
    cohort: {
      created: acc.created,
      won: acc.cohortWon,
      lost: acc.cohortLost,
      winRate: acc.created > 0 ? acc.cohortWon / acc.created : null,
    },
    stageConversion,
    avgDealSize: avg,
    wonAmount,
    medianSalesCycleDays: cycle,
    pipelineVelocityPerDay: velocity,
    activities: {
      total,
      byType: { ...acc.activities },
      perWeek: days > 0 ? Math.round((total / (days / 7)) * 10) / 10 : 0,
      weekly: weeksOf(p).map((w) => ({ weekStart: isoDateOfDay(Math.max(w, p.startDay)), count: acc.weeks.get(w) ?? 0 })),
    },
  };
}

function toState(s: StateAcc, currency: string, complianceDays: number, quota: number | null, quarterLabel: string): StateKpis {
  const open = amountIn(s.openValue.total(), currency);
  const stale = amountIn(s.staleValue.total(), currency);
  const won = amountIn(s.wonQuarter.total(), currency);
  const pipe = amountIn(s.quarterPipeline.total(), currency);
  const remaining = quota === null ? 0 : Math.max(0, quota - won);
  return {
    openDeals: s.open,
    qualifiedOpenDeals: s.qualified,
    openPipeline: s.openValue.total(),
    staleDeals: s.stale,
    stalePipeline: s.staleValue.total(),
    staleShare: open > 0 ? stale / open : null,
    compliance: {
      openDeals: s.open,
      withRecentActivity: s.compliant,
      rate: s.open > 0 ? s.compliant / s.open : null,
      windowDays: complianceDays,
    },
    quota:
      quota === null
        ? null
        : {
            quarter: quarterLabel,
            quota,
            wonToDate: won,
            attainment: quota > 0 ? won / quota : null,
            remaining,
            pipelineThisQuarter: pipe,
            coverage: remaining > 0 ? pipe / remaining : null,
            currency,
          },
  };
}

/** KPI trend rules: which way is bad news, and what the manager should check. */
const TRENDS: { kpi: string; badWhen: 'down' | 'up'; kind: 'rate' | 'relative'; concern: string; good: string }[] = [
  { kpi: 'winRate', badWhen: 'down', kind: 'rate', concern: 'review recent losses and qualification', good: 'keep doing what works' },
  {
    kpi: 'cohortWinRate',
    badWhen: 'down',
    kind: 'rate',
    concern: 'new deals convert less: check lead quality',
    good: 'new deals convert better',
  },
  { kpi: 'avgDealSize', badWhen: 'down', kind: 'relative', concern: 'check for early discounting', good: 'deal sizes are growing' },
  {
    kpi: 'medianSalesCycleDays',
    badWhen: 'up',
    kind: 'relative',
    concern: 'deals take longer: look for stuck stages',
    good: 'deals close faster',
  },
  {
    kpi: 'activityCount',
    badWhen: 'down',
    kind: 'relative',
    concern: 'activity is dropping: check capacity and motivation',
    good: 'activity is up',
  },
];

function kpiValue(k: PeriodKpis, kpi: string, currency: string): { value: number | null; samples: number } {
  switch (kpi) {
    case 'winRate':
      return { value: k.winRate, samples: k.won + k.lost };
    case 'cohortWinRate':
      return { value: k.cohort.winRate, samples: k.cohort.created };
    case 'avgDealSize': {
      const m = k.avgDealSize.find((x) => x.currency === currency);
      return { value: m ? m.amount : null, samples: k.won };
    }
    case 'medianSalesCycleDays':
      return { value: k.medianSalesCycleDays, samples: k.won };
    case 'activityCount':
      return { value: k.activities.total, samples: k.activities.total };
    default:
      return { value: null, samples: 0 };
  }
}

/**
 * Flags KPIs that moved beyond their band (default `trendBandPercent`, per KPI in `trendBands`).
 * Rates compare in percentage points, amounts and counts relatively. Both periods need
 * `trendMinSamples`. Activity compares per-day rates, so periods of unequal length compare fairly.
 */
export function trendFlags(current: PeriodKpis, previous: PeriodKpis, ctx: ReportContext): TrendFlag[] {
  const rc = ctx.indexed.cfg.reports;
  const currency = ctx.indexed.money.reportingCurrency;
  const out: TrendFlag[] = [];
  for (const t of TRENDS) {
    const c = kpiValue(current, t.kpi, currency);
    const p = kpiValue(previous, t.kpi, currency);
    if (c.value === null || p.value === null || c.samples < rc.trendMinSamples || p.samples < rc.trendMinSamples) continue;
    let cur = c.value;
    let prev = p.value;
    if (t.kpi === 'activityCount') {
      cur = current.activities.perWeek;
      prev = previous.activities.perWeek;
    }
    const band = rc.trendBands[t.kpi] ?? rc.trendBandPercent;
    const change = t.kind === 'rate' ? (cur - prev) * 100 : prev !== 0 ? ((cur - prev) / prev) * 100 : 0;
    if (Math.abs(change) <= band) continue;
    const direction = change > 0 ? 'up' : 'down';
    const concern = direction === t.badWhen;
    const fmt = (x: number): string => (t.kind === 'rate' ? `${Math.round(x * 1000) / 10}%` : `${Math.round(x * 10) / 10}`);
    const unit = t.kind === 'rate' ? ' points' : '%';
    out.push({
      kpi: t.kpi,
      current: cur,
      previous: prev,
      changePercent: Math.round(change * 10) / 10,
      bandPercent: band,
      direction,
      concern,
      message:
        `${t.kpi} ${direction} ${Math.abs(Math.round(change * 10) / 10)}${unit} ` +
        `(${fmt(prev)} -> ${fmt(cur)}, band ${band}${unit}): ${concern ? t.concern : t.good}.`,
    });
  }
  return out;
}
