/** What each rule is called where people read it: CRM warnings, flag options, pages. */
import type { RuleId } from './config.js';

export const RULE_NAMES: Readonly<Record<RuleId, string>> = {
  stale_deal: 'No recent activity',
  stuck_in_stage: 'Stuck in stage',
  close_date_passed: 'Close date passed',
  close_date_pushed: 'Close date keeps moving',
  missing_amount: 'No amount',
  missing_close_date: 'No close date',
  missing_next_step: 'No next step',
  no_next_activity: 'Nothing scheduled',
  single_threaded: 'Single-threaded',
  amount_decreased: 'Amount dropped',
  stage_regressed: 'Moved back a stage',
  stage_skipped: 'Skipped stages',
  discount_over_limit: 'Discount needs approval',
  activity_not_logged: 'Stage moved without logged activity',
  closed_won_missing_amount: 'Won without an amount',
  closed_lost_missing_reason: 'Lost without a reason',
};

/** The readable name of a rule id (an unknown id, from an older version, reads as words). */
export function ruleName(ruleId: string): string {
  const known = (RULE_NAMES as Readonly<Record<string, string>>)[ruleId];
  if (known) return known;
  const words = ruleId.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
