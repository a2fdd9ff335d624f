/** The rule registry and the per-deal evaluation. */
import type { Finding, Severity } from '../model/finding.js';
import type { RuleId, RulesConfig } from './config.js';
import { activityNotLogged, noNextActivity, staleDeal } from './activity.js';
import { amountDecreased, discountOverLimit } from './amount.js';
import { closeDatePassed, closeDatePushed } from './close-date.js';
import { closedLostMissingReason, closedWonMissingAmount } from './closed.js';
import { missingAmount, missingCloseDate, missingNextStep, singleThreaded } from './hygiene.js';
import { stageRegressed, stageSkipped, stuckInStage } from './stage.js';
import { toFinding, type DealFacts, type Rule, type RuleContext } from './types.js';

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  staleDeal,
  stuckInStage,
  closeDatePassed,
  closeDatePushed,
  missingAmount,
  missingCloseDate,
  missingNextStep,
  noNextActivity,
  singleThreaded,
  amountDecreased,
  stageRegressed,
  stageSkipped,
  discountOverLimit,
  activityNotLogged,
  closedWonMissingAmount,
  closedLostMissingReason,
];

/** Rule ids that measure CRM compliance (they feed the score's hygiene component). */
export const HYGIENE_RULES: ReadonlySet<RuleId> = new Set<RuleId>([
  'missing_amount',
  'missing_close_date',
  'missing_next_step',
  'no_next_activity',
  'single_threaded',
  'activity_not_logged',
  'discount_over_limit',
  'stage_skipped',
]);

/** The enabled rules of a config with their configured severities, split by open/closed. */
export interface ActiveRules {
  open: { rule: Rule; severity: Severity | undefined }[];
  closed: { rule: Rule; severity: Severity | undefined }[];
}

/** Resolves which rules run, once per run (not per deal). */
export function activeRules(cfg: RulesConfig): ActiveRules {
  const out: ActiveRules = { open: [], closed: [] };
  for (const rule of RULES) {
    const rc = cfg[rule.id];
    if (!rc.enabled) continue;
    out[rule.appliesTo].push({ rule, severity: rc.severity });
  }
  return out;
}

/** Runs every enabled rule that applies to the deal (open or closed) and returns its findings. */
export function evaluateRules(facts: DealFacts, ctx: RuleContext, active: ActiveRules = activeRules(ctx.indexed.cfg)): Finding[] {
  const out: Finding[] = [];
  const list = facts.deal.isClosed ? active.closed : active.open;
  for (let i = 0; i < list.length; i++) {
    const { rule, severity } = list[i]!;
    const hit = rule.evaluate(facts, ctx);
    if (hit) out.push(toFinding(rule, hit, facts.deal, severity));
  }
  return out;
}
