/**
 * The deal health score: five visible components, weighted into 0-100, with the top signed
 * reasons and one suggested action. Every component maps a measured number to 0..100 with a
 * documented ramp, so a manager can recompute any score by hand.
 */
import type { DealScore, Finding, ScoreBand } from '../model/finding.js';
import { HYGIENE_RULES } from '../rules/index.js';
import { plural, type DealFacts, type RuleContext } from '../rules/types.js';
import { staleDaysFor, type RuleId } from '../rules/config.js';
import { flat } from '../strings.js';
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
  return clamp(100 - ((daysInStage / thresholdDays - 0.5) * 100));
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
 * Scores one open deal from its facts and this run's findings for it.
 * Reasons are signed points against a neutral component (50): a component at 90 with weight 30
 * contributes +12.
 */
export function scoreDeal(f: DealFacts, findings: readonly Finding[], ctx: RuleContext): DealScore {
  const { book, benchmarks, texts } = ctx;
  const staleDays = staleDaysFor(book.cfg, f.deal.pipeline);
  // Each component and its reason is determined by a few numbers that repeat across a book (a few
  // thousand distinct parts for 100,000 deals): each part is built once per run, frozen and shared.
  // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
  let parts = texts.shared<ScorePart>('score.recency');

  // activity recency
  const hasActivity = Number.isFinite(f.stats.lastMs);
  const recency =
    parts.get(f.idleDays, staleDays, hasActivity) ??
    parts.set(
      scorePart(
        'activity_recency',
        recencyScore(f.idleDays, staleDays),
        hasActivity ? `last activity ${f.idleDays} days ago (stale at ${staleDays})` : `no activity since creation ${f.idleDays} days ago (stale at ${staleDays})`,
        hasActivity ? `Last activity ${plural(f.idleDays, 'day')} ago` : `No activity since creation ${plural(f.idleDays, 'day')} ago`,
      ),
      f.idleDays,
      staleDays,
      hasActivity,
    );

  // engagement
  const { inbound30, outbound30, other30 } = f.stats;
  const hasNext = f.stats.openTasks > 0 || f.stats.futureMeetings > 0;
  const touches = inbound30 + outbound30 + other30;
  // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
  parts = texts.shared<ScorePart>(hasNext ? 'score.engagement.next' : 'score.engagement');
  const engagement =
    parts.get(touches, inbound30, outbound30) ??
    parts.set(
      scorePart(
        'engagement',
        engagementScore(inbound30, outbound30, other30, hasNext),
        `${touches} touches in 30 days (${inbound30} inbound, ${outbound30} outbound), ` +
          (hasNext ? 'next activity scheduled' : 'nothing scheduled'),
        inbound30 > 0 && outbound30 > 0 ? `Two-way engagement: ${inbound30} inbound, ${outbound30} outbound in 30 days` : touches === 0 ? 'No touches in 30 days' : `One-way engagement: ${touches} touches, ${inbound30} from the buyer`,
      ),
      touches,
      inbound30,
      outbound30,
    );

  // stage velocity (b is one object per stage key: it keys the stage's limits)
  const b = ctx.stuckFor(f);
  // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
  parts = texts.shared<ScorePart>('score.velocity');
  const velocity =
    parts.get(b, f.daysInStage) ??
    parts.set(
      scorePart(
        'stage_velocity',
        velocityScore(f.daysInStage, b.thresholdDays),
        b.source === 'learned'
          ? `${f.daysInStage} days in stage; limit ${b.thresholdDays} ` +
            `(${b.factor} x median ${b.medianDaysWon} of ${b.wonSamples} won deals)`
          : `${f.daysInStage} days in stage; fixed limit ${b.thresholdDays} ` +
            `(default benchmark, ${b.wonSamples} of ${b.minSamples} won deals)`,
        `${f.daysInStage} days in stage (limit ${b.thresholdDays})`,
      ),
      b,
      f.daysInStage,
    );

  // close-date realism
  const passed = f.closeDay < book.today;
  const missing = f.deal.closeDate === null;
  const pushFinding = findings.find((x) => x.ruleId === 'close_date_pushed');
  let pushes = 0;
  let quarterPush = false;
  const changes = f.closeDateChanges;
  if (changes) {
    const since = book.nowMs - book.cfg.close_date_pushed.days * MS_PER_DAY;
    for (const c of changes) if (c.atMs >= since && c.atMs <= book.nowMs && c.newDay > c.oldDay) pushes++;
  }
  if (pushFinding) {
    // The finding's count where it says more (it never lowers what the history shows).
    pushes = Math.max(pushes, Number(pushFinding.evidence['pushes'] ?? 0));
    quarterPush = pushFinding.evidence['quarterBoundaryCrossed'] === true;
  }
  // keyed by the close date when it passed (which fixes the days overdue), else by the pushes
  const realismKey = passed ? f.deal.closeDate : missing ? null : pushes;
  // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
  parts = texts.shared<ScorePart>('score.realism');
  const realism =
    parts.get(realismKey, quarterPush) ??
    parts.set(
      scorePart(
        'close_date_realism',
        closeRealismScore(passed, missing, pushes, quarterPush),
        passed ? `close date ${f.deal.closeDate} passed` : missing ? 'no close date' : `${pushes} pushes in ${book.cfg.close_date_pushed.days} days${quarterPush ? ', pushed into a later quarter' : ''}`,
        passed ? `Close date ${f.deal.closeDate} has passed` : missing ? 'No close date' : pushes > 0 ? `Close date pushed ${pushes} times recently` : 'Close date holding',
      ),
      realismKey,
      quarterPush,
    );

  const reasons: Reason[] = [recency.reason, engagement.reason];
  if (hasNext) reasons.push(NEXT_ACTIVITY_REASON);
  reasons.push(velocity.reason, realism.reason);

  // hygiene
  let hygieneIssues = 0;
  let penalty = 0;
  // The sequence of issues as base-(n+1) digits: one number per distinct list, for the memo.
  let issuesKey = 0;
  // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
  const hygieneReasons = texts.shared<Reason>('score.hygiene.reason');
  for (const x of findings) {
    if (!HYGIENE_RULES.has(x.ruleId as RuleId)) continue;
    const p = HYGIENE_PENALTIES[x.ruleId as RuleId] ?? 10;
    penalty += p;
    hygieneIssues++;
    issuesKey = issuesKey * (HYGIENE_RULE_IDS.length + 1) + HYGIENE_RULE_IDS.indexOf(x.ruleId as RuleId) + 1;
    reasons.push(hygieneReasons.get(p, x.message) ?? hygieneReasons.set(Object.freeze({ impact: -Math.round((p * SCORE_WEIGHTS.hygiene) / 10) / 10, text: flat(x.message) }), p, x.message));
  }
  let hygiene: ScorePart;
  if (hygieneIssues === 0) {
    hygiene = HYGIENE_CLEAN;
    reasons.push(HYGIENE_CLEAN.reason);
  } else {
    const build = (): ScorePart => scorePart('hygiene', clamp(100 - penalty), hygieneIssueList(findings), '');
    // Stryker disable next-line StringLiteral: a memo's name only has to differ from the other memos' names
    parts = texts.shared<ScorePart>('score.hygiene');
    // Stryker disable next-line BooleanLiteral: the memo only saves work; a part built afresh is equal to the shared one
    hygiene = !Number.isSafeInteger(issuesKey) ? build() : (parts.get(issuesKey) ?? parts.set(build(), issuesKey));
  }

  const components = [recency.component, engagement.component, velocity.component, realism.component, hygiene.component];
  let total = 0;
  for (const c of components) total += c.score * c.weight;
  const score = scoreWithFindings(total / 100, findings);
  if (findings.length > 0) {
    const penalty = findings.reduce((sum, x) => sum + FINDING_PENALTIES[x.severity], 0);
    const critical = findings.filter((x) => x.severity === 'critical').length;
    reasons.push({ impact: -penalty, text: `${plural(findings.length, 'open warning')}${critical > 0 ? `, ${critical} urgent` : ''}` });
  }

  const usedDefaultBenchmarks = benchmarks.usedDefaults || b.source === 'fallback';
  return {
    connectionId: f.deal.connectionId,
    dealId: f.deal.externalId,
    score,
    band: bandOf(score),
    components,
    reasons: topReasons(reasons),
    suggestedAction: suggestedAction(findings, components),
    usedDefaultBenchmarks,
  };
}

type ScoreComponent = DealScore['components'][number];

/** A component with its signed reason: both follow from the same few numbers, so they are shared. */
interface ScorePart {
  readonly component: ScoreComponent;
  readonly reason: Reason;
}

function scorePart(name: ScoreComponentName, score: number, detail: string, reasonText: string): ScorePart {
  return Object.freeze({
    // One plain line each: dates as people write them.
    component: Object.freeze({ name, score: round1(score), weight: SCORE_WEIGHTS[name], detail: flat(readableDates(detail)) }),
    reason: Object.freeze({ impact: signed(name, score), text: flat(readableDates(reasonText)) }),
  });
}

/** The 20 engagement points a scheduled next step earns, at the component's weight (20 x 0.2). */
const NEXT_ACTIVITY_REASON: Reason = Object.freeze({ impact: (20 * SCORE_WEIGHTS.engagement) / 100, text: 'Next activity scheduled' });
const HYGIENE_CLEAN: ScorePart = Object.freeze({
  component: Object.freeze({ name: 'hygiene', score: 100, weight: SCORE_WEIGHTS.hygiene, detail: 'no compliance findings' }),
  reason: Object.freeze({ impact: signed('hygiene', 100), text: 'CRM record complete' }),
});

/** `No amount, Single-threaded`: the compliance findings' names in order. */
function hygieneIssueList(findings: readonly Finding[]): string {
  return findings.filter((x) => HYGIENE_RULES.has(x.ruleId as RuleId)).map((x) => ruleName(x.ruleId)).join(', ');
}

/** Hygiene rule ids in a fixed order (digits of the hygiene detail's memo key). */
const HYGIENE_RULE_IDS: readonly RuleId[] = [...HYGIENE_RULES];

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The three largest positive reasons (largest first), then the three largest negative ones (most
 * negative first); ties keep their order, as a stable sort would. One pass, no intermediate arrays.
 */
function topReasons(reasons: readonly Reason[]): Reason[] {
  const pos: Reason[] = [];
  const neg: Reason[] = [];
  for (const r of reasons) {
    if (r.impact > 0) insertRanked(pos, r, r.impact);
    else if (r.impact < 0) insertRanked(neg, r, -r.impact);
  }
  for (const r of neg) pos.push(r);
  return pos;
}

/** Inserts `r` after every kept reason at least as strong (`strength` = |impact|) and keeps three. */
function insertRanked(top: Reason[], r: Reason, strength: number): void {
  let i = top.length;
  while (i > 0 && Math.abs(top[i - 1]!.impact) < strength) i--;
  if (i >= 3) return;
  if (top.length < 3) top.push(r);
  for (let j = top.length - 1; j > i; j--) top[j] = top[j - 1]!;
  top[i] = r;
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
