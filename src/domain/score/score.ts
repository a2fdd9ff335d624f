/**
 * The deal health score: five visible components, weighted into 0-100, with the top signed
 * reasons and one suggested action. Every component maps a measured number to 0..100 with a
 * documented ramp, so a manager can recompute any score by hand.
 */
import type { DealScore, Finding, ScoreBand } from '../model/finding.js';
import { HYGIENE_RULES } from '../rules/index.js';
import type { ActivityStats } from '../indexed-input.js';
import { plural, type DealFacts, type RuleContext, type StuckBenchmark } from '../rules/types.js';
import { staleDaysFor, type RuleId } from '../rules/config.js';
import { ruleName } from '../rules/names.js';
import { MS_PER_DAY, readableDates } from '../time.js';

/** Component weights (sum 100). */
export const SCORE_WEIGHTS = {
  activity_recency: 30,
  engagement: 20,
  stage_velocity: 20,
  close_date_realism: 15,
  hygiene: 15,
} as const;
export type ScoreComponentName = keyof typeof SCORE_WEIGHTS;

/** Hygiene points lost per compliance finding. */
export const HYGIENE_PENALTIES: Partial<Record<RuleId, number>> = {
  missing_amount: 30,
  missing_close_date: 30,
  missing_next_step: 20,
  no_next_activity: 25,
  single_threaded: 20,
  activity_not_logged: 20,
  discount_over_limit: 25,
  stage_skipped: 10,
};

/**
 * Points each open finding takes off the weighted components, by severity: a finding is risk (a
 * discount past the approval matrix, a required field missing, a close date in the past), not a
 * footnote under a healthy number.
 */
export const FINDING_PENALTIES = { critical: 20, warning: 8, info: 3 } as const;

/** The highest score a deal with an open finding of that severity can have: a critical finding never reads healthy. */
export const SEVERITY_CEILINGS = { critical: 59, warning: 100, info: 100 } as const;

/**
 * The deal's score from its weighted components and its open findings: each finding takes its
 * penalty off, and the most severe one caps it. Adding a finding can only lower a score.
 */
export function scoreWithFindings(weighted: number, findings: readonly Pick<Finding, 'severity'>[]): number {
  let score = weighted;
  let ceiling = 100;
  for (const x of findings) {
    score -= FINDING_PENALTIES[x.severity];
    ceiling = Math.min(ceiling, SEVERITY_CEILINGS[x.severity]);
  }
  return Math.max(0, Math.min(ceiling, Math.round(score)));
}

/** Band of a score: healthy >= 70, at_risk 40-69, critical < 40. */
export function bandOf(score: number): ScoreBand {
  return score >= 70 ? 'healthy' : score >= 40 ? 'at_risk' : 'critical';
}

function clamp(x: number): number {
  return x < 0 ? 0 : x > 100 ? 100 : x;
}

/**
 * Activity recency: 100 at 0 idle days, 50 at the stale threshold, 0 at twice the threshold.
 */
export function recencyScore(idleDays: number, staleDays: number): number {
  return clamp(100 - (idleDays / staleDays) * 50);
}

/**
 * Engagement over the last 30 days: up to 60 for touches (10 each, 6 touches max), 20 when the
 * buyer answered too (inbound and outbound both seen), 20 for a scheduled next activity.
 */
export function engagementScore(inbound: number, outbound: number, other: number, hasNext: boolean): number {
  const touches = Math.min(6, inbound + outbound + other);
  return touches * 10 + (inbound > 0 && outbound > 0 ? 20 : 0) + (hasNext ? 20 : 0);
}

/** Stage velocity: 100 up to half the stuck limit, 50 at the limit, 0 at 1.5x the limit. */
export function velocityScore(daysInStage: number, thresholdDays: number): number {
  return clamp(100 - (daysInStage / thresholdDays - 0.5) * 100);
}

/**
 * Close-date realism: 0 when the close date passed, 40 when there is none, else 100 minus 25
 * per push in the push window and minus 25 more for a push into a later quarter.
 */
export function closeRealismScore(passed: boolean, missing: boolean, pushes: number, quarterPush: boolean): number {
  if (passed) return 0;
  if (missing) return 40;
  return clamp(100 - 25 * pushes - (quarterPush ? 25 : 0));
}

interface Reason {
  impact: number;
  text: string;
}

/** Signed points of a component against neutral (50), one decimal. */
function signed(name: ScoreComponentName, score: number): number {
  return Math.round(((score - 50) * SCORE_WEIGHTS[name]) / 10) / 10;
}

/**
 * Scores one open deal from its facts and this run's findings for it: five components, weighted;
 * then each open finding takes its penalty off. Reasons are signed points against a neutral
 * component (50): a component at 90 with weight 30 contributes +12.
 */
export function scoreDeal(f: DealFacts, findings: readonly Finding[], ctx: RuleContext): DealScore {
  const stuck = ctx.stuckFor(f);
  const parts = [
    activityRecency(f, staleDaysFor(ctx.indexed.cfg, f.deal.pipeline), ctx),
    engagement(f.stats, ctx),
    stageVelocity(f, stuck, ctx),
    closeDateRealism(f, findings, ctx),
    hygiene(findings, ctx),
  ];
  const components = parts.map((p) => p.component);
  const reasons = ([] as Reason[]).concat(...parts.map((p) => p.reasons));
  const weighted = components.reduce((sum, c) => sum + c.score * c.weight, 0) / 100;
  const score = scoreWithFindings(weighted, findings);
  if (findings.length > 0) reasons.push(openFindingsReason(findings));
  return {
    connectionId: f.deal.connectionId,
    dealId: f.deal.externalId,
    score,
    band: bandOf(score),
    components,
    reasons: topReasons(reasons),
    suggestedAction: suggestedAction(findings, components),
    usedDefaultBenchmarks: ctx.benchmarks.usedDefaults || stuck.source === 'fallback',
  };
}

type ScoreComponent = DealScore['components'][number];

/**
 * A component with the reasons it gives. Each follows from a few numbers that repeat across a
 * book of deals (a few thousand distinct parts for 100,000 deals), so each is built once per run
 * under a key naming those numbers, frozen, and shared (see memo.ts).
 */
interface ScorePart {
  readonly component: ScoreComponent;
  readonly reasons: readonly Reason[];
}

/** Activity recency: idle days against the deal's stale threshold. */
function activityRecency(f: DealFacts, staleDays: number, { memo }: RuleContext): ScorePart {
  const idle = f.idleDays;
  const hasActivity = Number.isFinite(f.stats.lastMs);
  return memo.get(`recency ${idle} ${staleDays} ${hasActivity}`, () =>
    scorePart(
      'activity_recency',
      recencyScore(idle, staleDays),
      hasActivity
        ? `last activity ${idle} days ago (stale at ${staleDays})`
        : `no activity since creation ${idle} days ago (stale at ${staleDays})`,
      hasActivity ? `Last activity ${plural(idle, 'day')} ago` : `No activity since creation ${plural(idle, 'day')} ago`,
    ),
  );
}

/** Engagement: touches in 30 days, whether the buyer answered, whether a next step is scheduled. */
function engagement(stats: ActivityStats, { memo }: RuleContext): ScorePart {
  const { inbound30: inbound, outbound30: outbound, other30: other } = stats;
  const hasNext = stats.openTasks > 0 || stats.futureMeetings > 0;
  const touches = inbound + outbound + other;
  return memo.get(`engagement ${inbound} ${outbound} ${other} ${hasNext}`, () =>
    scorePart(
      'engagement',
      engagementScore(inbound, outbound, other, hasNext),
      `${touches} touches in 30 days (${inbound} inbound, ${outbound} outbound), ` +
        (hasNext ? 'next activity scheduled' : 'nothing scheduled'),
      inbound > 0 && outbound > 0
        ? `Two-way engagement: ${inbound} inbound, ${outbound} outbound in 30 days`
        : touches === 0
          ? 'No touches in 30 days'
          : `One-way engagement: ${touches} touches, ${inbound} from the buyer`,
      hasNext ? [NEXT_ACTIVITY_REASON] : [],
    ),
  );
}

/** Stage velocity: days in stage against the stage's stuck limit. */
function stageVelocity(f: DealFacts, b: StuckBenchmark, { memo }: RuleContext): ScorePart {
  const days = f.daysInStage;
  // the stuck limit is one per stage
  return memo.get(`velocity ${days} ${f.deal.pipeline}/${f.deal.stageId}`, () => {
    const limit =
      b.source === 'learned'
        ? `limit ${b.thresholdDays} (${b.factor} x median ${b.medianDaysWon} of ${b.wonSamples} won deals)`
        : `fixed limit ${b.thresholdDays} (default benchmark, ${b.wonSamples} of ${b.minSamples} won deals)`;
    return scorePart(
      'stage_velocity',
      velocityScore(days, b.thresholdDays),
      `${days} days in stage; ${limit}`,
      `${days} days in stage (limit ${b.thresholdDays})`,
    );
  });
}

/** Close-date realism: passed, missing, or how often it was pushed lately. */
function closeDateRealism(f: DealFacts, findings: readonly Finding[], { indexed, memo }: RuleContext): ScorePart {
  const closeDate = f.deal.closeDate;
  const passed = f.closeDay < indexed.today;
  const windowDays = indexed.cfg.close_date_pushed.days;
  const since = indexed.nowMs - windowDays * MS_PER_DAY;
  const pushed = (f.closeDateChanges ?? []).filter((c) => c.atMs >= since && c.atMs <= indexed.nowMs && c.newDay > c.oldDay);
  // The push finding's count where it says more (it never lowers what the history shows).
  const finding = findings.find((x) => x.ruleId === 'close_date_pushed');
  const pushes = Math.max(pushed.length, Number(finding?.evidence['pushes'] ?? 0));
  const quarterPush = finding?.evidence['quarterBoundaryCrossed'] === true;
  const state = passed ? `passed ${closeDate}` : closeDate === null ? 'missing' : `${pushes} pushes`;
  return memo.get(`realism ${state} ${quarterPush}`, () =>
    scorePart(
      'close_date_realism',
      closeRealismScore(passed, closeDate === null, pushes, quarterPush),
      passed
        ? `close date ${closeDate} passed`
        : closeDate === null
          ? 'no close date'
          : `${pushes} pushes in ${windowDays} days${quarterPush ? ', pushed into a later quarter' : ''}`,
      passed
        ? `Close date ${closeDate} has passed`
        : closeDate === null
          ? 'No close date'
          : pushes > 0
            ? `Close date pushed ${pushes} times recently`
            : 'Close date holding',
    ),
  );
}

/** Hygiene: 100 minus the penalty of each compliance finding, each finding one reason. */
function hygiene(findings: readonly Finding[], { memo }: RuleContext): ScorePart {
  const issues = findings.filter((x) => HYGIENE_RULES.has(x.ruleId as RuleId));
  if (issues.length === 0) return HYGIENE_CLEAN;
  const penalty = issues.reduce((sum, x) => sum + hygienePenalty(x), 0);
  const names = issues.map((x) => ruleName(x.ruleId)).join(', ');
  const { component } = memo.get(`hygiene ${names}`, () => scorePart('hygiene', clamp(100 - penalty), names, ''));
  return {
    component,
    reasons: issues.map((x) => ({ impact: -Math.round((hygienePenalty(x) * SCORE_WEIGHTS.hygiene) / 10) / 10, text: x.message })),
  };
}

function hygienePenalty(finding: Finding): number {
  return HYGIENE_PENALTIES[finding.ruleId as RuleId] ?? 10;
}

/** `2 open warnings, 1 urgent`, with the points the findings took off. */
function openFindingsReason(findings: readonly Finding[]): Reason {
  const penalty = findings.reduce((sum, x) => sum + FINDING_PENALTIES[x.severity], 0);
  const critical = findings.filter((x) => x.severity === 'critical').length;
  return { impact: -penalty, text: `${plural(findings.length, 'open warning')}${critical > 0 ? `, ${critical} urgent` : ''}` };
}

function scorePart(name: ScoreComponentName, score: number, detail: string, reasonText: string, more: readonly Reason[] = []): ScorePart {
  return Object.freeze({
    // One plain line each: dates as people write them.
    component: Object.freeze({ name, score: round1(score), weight: SCORE_WEIGHTS[name], detail: readableDates(detail) }),
    reasons: Object.freeze([Object.freeze({ impact: signed(name, score), text: readableDates(reasonText) }), ...more]),
  });
}

/** The 20 engagement points a scheduled next step earns, at the component's weight (20 x 0.2). */
const NEXT_ACTIVITY_REASON: Reason = Object.freeze({ impact: (20 * SCORE_WEIGHTS.engagement) / 100, text: 'Next activity scheduled' });
const HYGIENE_CLEAN: ScorePart = Object.freeze({
  component: Object.freeze({ name: 'hygiene', score: 100, weight: SCORE_WEIGHTS.hygiene, detail: 'no compliance findings' }),
  reasons: Object.freeze([Object.freeze({ impact: signed('hygiene', 100), text: 'CRM record complete' })]),
});

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The three largest positive reasons (largest first), then the three largest negative ones (most
 * negative first); ties keep their order.
 */
function topReasons(reasons: readonly Reason[]): Reason[] {
  const strongest = (list: Reason[]): Reason[] => list.sort((a, b) => Math.abs(b.impact) - Math.abs(a.impact)).slice(0, 3);
  return [...strongest(reasons.filter((r) => r.impact > 0)), ...strongest(reasons.filter((r) => r.impact < 0))];
}

const SEVERITY_RANK = { critical: 3, warning: 2, info: 1 } as const;

const COMPONENT_ACTIONS: Record<string, string> = {
  activity_recency: 'Reach the buyer this week and log the touch.',
  engagement: 'Get a reply from the buyer: propose a meeting with a clear agenda.',
  stage_velocity: 'Agree the next milestone with the buyer to move the stage forward.',
  close_date_realism: 'Confirm the decision date with the buyer.',
  hygiene: 'Complete the CRM record.',
};

/** The most severe finding's action; else the weakest component's, when it is below 70. */
function suggestedAction(findings: readonly Finding[], components: { name: string; score: number }[]): string | null {
  let best: Finding | undefined;
  for (const x of findings) if (!best || SEVERITY_RANK[x.severity] > SEVERITY_RANK[best.severity]) best = x;
  if (best) return best.suggestedAction;
  let weakest = components[0];
  for (const c of components) if (weakest && c.score < weakest.score) weakest = c;
  return weakest && weakest.score < 70 ? (COMPONENT_ACTIONS[weakest.name] ?? null) : null;
}
