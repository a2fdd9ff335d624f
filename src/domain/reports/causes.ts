/**
 * What the review says about causes rather than symptoms: open findings grouped by rep and rule
 * (one line a manager can act on), rules whose findings sit mostly with one rep, reps whose
 * activity collapsed against their own baseline, the one stage where a rep's conversion falls far
 * below the team's, and whether a rep's KPI change stands out from the rep's own week-to-week noise.
 */
import type { Finding } from '../model/finding.js';
import { toReporting } from '../money.js';
import type { DealDays } from './context.js';
import { groupThousands } from '../strings.js';
import { staleDaysFor } from '../rules/config.js';
import type { Coaching } from './coaching.js';
import type { ReportContext } from './context.js';
import type { TrendFlag } from './kpis.js';

/** One rep's open findings of one rule. */
export interface FindingGroup {
  ownerId: string | null;
  ownerName: string;
  ruleId: string;
  severity: 'critical' | 'warning' | 'info';
  deals: number;
  /** Open amount of those deals, reporting currency (deals in other currencies are counted, not summed). */
  amount: number;
  currency: string;
  dealIds: string[];
  /** `Ben Haddad: 19 stale deals, 850,200 USD, no activity logged in 14+ days`. */
  message: string;
}

/** A rule whose findings sit mostly with one rep. */
export interface Concentration {
  ruleId: string;
  ownerId: string | null;
  ownerName: string;
  repFindings: number;
  totalFindings: number;
  share: number;
  message: string;
}

/** A rep whose activity fell far below the rep's own baseline. */
export interface ActivityCollapse {
  ownerId: string;
  name: string;
  /** Counted activities in the last 30 days. */
  recent: number;
  /** Activities per 30 days over the 90 days before. */
  baselinePer30: number;
  /** Activities in the baseline window (at least {@link COLLAPSE_MIN_BASELINE}). */
  baselineSamples: number;
  ratio: number;
  message: string;
}

/** A rep's stage whose stage-to-next conversion falls far below the team's (coaching's skill gap). */
export interface StageConversionGap {
  ownerId: string;
  name: string;
  pipeline: string;
  stageId: string;
  /** The stage as a person reads it. */
  stage: string;
  /** Share of the rep's deals at the stage that moved on, and the team's. */
  repRate: number;
  teamRate: number;
  /** Deals behind each rate (the rep's are at least `reports.skillGapMinSamples`). */
  repSamples: number;
  teamSamples: number;
  /** How far below the team the rep converts, in percent of the team's rate. */
  gapPercent: number;
  message: string;
}

const RULE_NOUNS: Record<string, { noun: string; detail?: (ctx: ReportContext) => string }> = {
  stale_deal: { noun: 'stale deals', detail: (ctx) => `no activity logged in ${staleDaysFor(ctx.indexed.cfg, 'default')}+ days` },
  stuck_in_stage: { noun: 'deals stuck in their stage', detail: () => 'far longer than the stage usually takes' },
  close_date_passed: { noun: 'deals past their close date', detail: () => 'close date not updated' },
  close_date_pushed: { noun: 'deals pushed repeatedly', detail: () => 'close date moved later again' },
  discount_over_limit: { noun: 'discounts over the approval limit' },
  activity_not_logged: { noun: 'deals without logged activity' },
  no_next_activity: { noun: 'deals with nothing scheduled' },
  single_threaded: { noun: 'single-threaded deals', detail: () => 'one contact only' },
  missing_next_step: { noun: 'deals without a next step' },
  missing_amount: { noun: 'deals without an amount' },
  missing_close_date: { noun: 'deals without a close date' },
  amount_decreased: { noun: 'deals whose amount dropped' },
  stage_regressed: { noun: 'deals moved back a stage' },
  stage_skipped: { noun: 'deals that skipped stages' },
  closed_won_missing_amount: { noun: 'won deals without an amount' },
  closed_lost_missing_reason: { noun: 'lost deals without a reason' },
};
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** Findings with at least this many deals are worth a concentration check. */
const CONCENTRATION_MIN_FINDINGS = 4;
/** One rep holding this share of a rule's findings is called out. */
const CONCENTRATION_SHARE = 0.5;
/** The baseline must hold this many activities before a collapse is claimed. */
export const COLLAPSE_MIN_BASELINE = 20;
/** Recent activity at or below this share of the baseline is a collapse. */
const COLLAPSE_RATIO = 0.35;
/** A weekly z-score at least this large is a significant change. */
const SIGNIFICANT_Z = 2;
/** Weeks of a rep's own history a trend is judged against. */
const HISTORY_WEEKS = 13;
const MIN_HISTORY_WEEKS = 8;
/** Won deals of the rep's own history (the year before the period) a deal-size or cycle trend needs. */
const MIN_HISTORY_DEALS = 8;
/** Won deals in the flagged period a deal-size or cycle trend needs. */
const MIN_PERIOD_DEALS = 3;
const HISTORY_DAYS = 365;

/** Open findings grouped by rep and rule, most severe and largest first. */
export function groupFindings(ctx: ReportContext, findings: readonly Finding[]): FindingGroup[] {
  const { indexed } = ctx;
  const currency = indexed.money.reportingCurrency;
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const d = indexed.dealsById.get(f.dealId);
    const ownerId = d?.ownerId ?? null;
    const key = `${ownerId ?? ''}\u0000${f.ruleId}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        ownerId,
        ownerName: ctx.ownerName(ownerId),
        ruleId: f.ruleId,
        severity: f.severity,
        deals: 0,
        amount: 0,
        currency,
        dealIds: [],
        message: '',
      };
      groups.set(key, g);
    }
    if (g.dealIds.includes(f.dealId)) continue;
    g.dealIds.push(f.dealId);
    g.deals++;
    if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[g.severity]) g.severity = f.severity;
    const m = toReporting(d?.amount ?? 0, d?.currency ?? null, indexed.money);
    if (m.currency === currency) g.amount += m.amount;
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.amount = Math.round(g.amount * 100) / 100;
    const words = RULE_NOUNS[g.ruleId];
    const noun = words?.noun ?? `deals flagged ${g.ruleId}`;
    const detail = words?.detail?.(ctx);
    g.message = `${g.ownerName}: ${g.deals} ${noun}, ${groupThousands(Math.round(g.amount))} ${currency}${detail ? `, ${detail}` : ''}`;
    g.dealIds.sort();
  }
  return out.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.amount - a.amount ||
      b.deals - a.deals ||
      a.message.localeCompare(b.message),
  );
}

/** Rules where one rep holds at least half of the findings (and there are enough to say so). */
export function findConcentrations(groups: readonly FindingGroup[]): Concentration[] {
  const byRule = new Map<string, FindingGroup[]>();
  for (const g of groups) {
    const list = byRule.get(g.ruleId);
    if (list) list.push(g);
    else byRule.set(g.ruleId, [g]);
  }
  const out: Concentration[] = [];
  for (const [ruleId, list] of byRule) {
    const total = list.reduce((a, g) => a + g.deals, 0);
    if (total < CONCENTRATION_MIN_FINDINGS || list.length < 1) continue;
    const top = [...list].sort((a, b) => b.deals - a.deals)[0]!;
    const share = top.deals / total;
    if (share < CONCENTRATION_SHARE || (list.length === 1 && total < CONCENTRATION_MIN_FINDINGS)) continue;
    const noun = RULE_NOUNS[ruleId]?.noun ?? `${ruleId} findings`;
    out.push({
      ruleId,
      ownerId: top.ownerId,
      ownerName: top.ownerName,
      repFindings: top.deals,
      totalFindings: total,
      share: Math.round(share * 1000) / 1000,
      message:
        `${top.deals} of ${total} ${noun} are ${top.ownerName}'s (${Math.round(share * 100)}%): ` +
        `a coaching conversation, not ${top.deals} deal reviews`,
    });
  }
  return out.sort((a, b) => b.share - a.share || b.repFindings - a.repFindings);
}

/** Counted activities per owner, by local day (the rep's own log, whichever deal it is on). */
function activityDaysByOwner(ctx: ReportContext): Map<string, number[]> {
  const { indexed } = ctx;
  const out = new Map<string, number[]>();
  const acts = indexed.input.activities;
  for (let i = 0; i < acts.length; i++) {
    const a = acts[i]!;
    const ms = indexed.activityMs[i]!;
    if (a.ownerId === null || a.origin === 'dealwatch' || a.isDeleted || !(ms <= indexed.nowMs) || (a.type === 'task' && !a.completed))
      continue;
    const list = out.get(a.ownerId);
    const day = indexed.clock.dayOf(ms);
    if (list) list.push(day);
    else out.set(a.ownerId, [day]);
  }
  return out;
}

/**
 * Reps whose last 30 days hold at most 35 % of their usual activity per 30 days (the 90 days
 * before), judged only when that baseline holds at least {@link COLLAPSE_MIN_BASELINE} activities.
 */
export function findActivityCollapses(ctx: ReportContext): ActivityCollapse[] {
  const today = ctx.indexed.today;
  const out: ActivityCollapse[] = [];
  for (const [ownerId, days] of activityDaysByOwner(ctx)) {
    let recent = 0;
    let baseline = 0;
    for (const d of days) {
      if (d > today - 30 && d <= today) recent++;
      else if (d > today - 120 && d <= today - 30) baseline++;
    }
    if (baseline < COLLAPSE_MIN_BASELINE) continue;
    const per30 = baseline / 3;
    const ratio = recent / per30;
    if (ratio > COLLAPSE_RATIO) continue;
    const name = ctx.ownerName(ownerId);
    out.push({
      ownerId,
      name,
      recent,
      baselinePer30: Math.round(per30 * 10) / 10,
      baselineSamples: baseline,
      ratio: Math.round(ratio * 1000) / 1000,
      message:
        `${name}: ${recent} activities in the last 30 days against ${Math.round(per30)} per 30 days before ` +
        `(${baseline} in the 90 days before): check workload, absence or logging`,
    });
  }
  return out.sort((a, b) => a.ratio - b.ratio || a.ownerId.localeCompare(b.ownerId));
}

/**
 * For each rep, the one stage where the rep's stage-to-next conversion falls furthest below the
 * team's, as coaching measures it (deals created in the look-back, at least
 * `reports.skillGapMinSamples` of the rep's, `reports.skillGapPercent` below the team). Largest gap first.
 */
export function findStageConversionGaps(coaching: Coaching): StageConversionGap[] {
  const out: StageConversionGap[] = [];
  for (const r of coaching.reps) {
    const g = r.skillGap;
    if (!g) continue;
    const pct = (x: number): string => `${Math.round(x * 100)}%`;
    out.push({
      ownerId: r.ownerId,
      name: r.name,
      pipeline: g.pipeline,
      stageId: g.stageId,
      stage: g.label,
      repRate: g.repRate,
      teamRate: g.teamRate,
      repSamples: g.repSamples,
      teamSamples: g.teamSamples,
      gapPercent: g.gapPercent,
      message:
        `${r.name}: ${pct(g.repRate)} of deals at ${g.label} move on vs team ${pct(g.teamRate)} ` +
        `(${g.repSamples} vs ${g.teamSamples} deals, ${g.gapPercent}% below): coach this stage`,
    });
  }
  return out.sort((a, b) => b.gapPercent - a.gapPercent || a.ownerId.localeCompare(b.ownerId));
}

/**
 * Whether a rep's activity-count trend stands out from the rep's own weekly history: the weekly
 * rate of the flagged period against the mean and spread of the 13 weeks before it (at least 8
 * weeks with the rep active), |z| >= 2. Other KPIs are judged on their counts: a win-rate change
 * must pass a two-proportion test at the same level. Deal size and sales cycle: the period's won
 * deals' mean against the mean and spread of the rep's won deals of the year before (at least 8
 * there, 3 in the period), |z| >= 2. Without enough history: not significant.
 */
export function significantForRep(
  ctx: ReportContext,
  ownerId: string,
  flag: TrendFlag,
  period: { startDay: number; endDay: number },
  counts?: { current: { won: number; lost: number }; previous: { won: number; lost: number } },
  cache = new Map<string, number[]>(),
): boolean {
  if (flag.kpi === 'activityCount') {
    let days = cache.get(ownerId);
    if (!days) {
      days = activityDaysByOwner(ctx).get(ownerId) ?? [];
      cache.set(ownerId, days);
    }
    const weeks = new Array<number>(HISTORY_WEEKS).fill(0);
    const first = period.startDay - HISTORY_WEEKS * 7;
    let inPeriod = 0;
    for (const d of days) {
      if (d >= period.startDay && d < Math.min(period.endDay, ctx.indexed.today + 1)) inPeriod++;
      else if (d >= first && d < period.startDay) weeks[Math.floor((d - first) / 7)]!++;
    }
    const active = weeks.filter((w) => w > 0).length;
    if (active < MIN_HISTORY_WEEKS) return false;
    const mean = weeks.reduce((a, b) => a + b, 0) / weeks.length;
    const sd = Math.sqrt(weeks.reduce((a, b) => a + (b - mean) ** 2, 0) / (weeks.length - 1));
    const periodWeeks = Math.max(1, (Math.min(period.endDay, ctx.indexed.today + 1) - period.startDay) / 7);
    const rate = inPeriod / periodWeeks;
    // the mean of n weeks varies sd / sqrt(n) around the rep's usual week
    const se = sd / Math.sqrt(periodWeeks);
    return se > 0 ? Math.abs(rate - mean) / se >= SIGNIFICANT_Z : rate !== mean;
  }
  if ((flag.kpi === 'winRate' || flag.kpi === 'cohortWinRate') && counts) {
    const n1 = counts.current.won + counts.current.lost;
    const n2 = counts.previous.won + counts.previous.lost;
    if (n1 === 0 || n2 === 0) return false;
    const p = (counts.current.won + counts.previous.won) / (n1 + n2);
    const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
    return se > 0 && Math.abs(counts.current.won / n1 - counts.previous.won / n2) / se >= SIGNIFICANT_Z;
  }
  if (flag.kpi === 'avgDealSize' || flag.kpi === 'medianSalesCycleDays') {
    const { indexed } = ctx;
    const currency = indexed.money.reportingCurrency;
    const valueOf = (dd: DealDays): number | null => {
      if (flag.kpi === 'medianSalesCycleDays') return Math.max(0, dd.closeDay - dd.createdDay);
      if (dd.deal.amount === null) return null;
      const m = toReporting(dd.deal.amount, dd.deal.currency, indexed.money);
      return m.currency === currency ? m.amount : null;
    };
    const end = Math.min(period.endDay, indexed.today + 1);
    const current: number[] = [];
    const history: number[] = [];
    for (const dd of ctx.deals) {
      if (dd.deal.ownerId !== ownerId || !dd.deal.isClosed || !dd.deal.isWon) continue;
      const v = valueOf(dd);
      if (v === null) continue;
      if (dd.closeDay >= period.startDay && dd.closeDay < end) current.push(v);
      else if (dd.closeDay >= period.startDay - HISTORY_DAYS && dd.closeDay < period.startDay) history.push(v);
    }
    if (history.length < MIN_HISTORY_DEALS || current.length < MIN_PERIOD_DEALS) return false;
    const mean = history.reduce((a, b) => a + b, 0) / history.length;
    const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / (history.length - 1));
    const now = current.reduce((a, b) => a + b, 0) / current.length;
    // the mean of n deals varies sd / sqrt(n) around the rep's usual deal
    const se = sd / Math.sqrt(current.length);
    return se > 0 ? Math.abs(now - mean) / se >= SIGNIFICANT_Z : now !== mean;
  }
  return true;
}
