/** Rules on recently closed deals: what the win/loss record needs. */
import { parseInstant } from '../time.js';
import type { DealFacts, Rule, RuleContext } from './types.js';

function closedWithin(f: DealFacts, ctx: RuleContext, days: number): boolean {
  const day = Number.isFinite(f.closeDay) ? f.closeDay : ctx.indexed.clock.dayOf(parseInstant(f.deal.modifiedAt));
  return ctx.indexed.today - day <= days;
}

/** `closed_won_missing_amount`: a won deal (closed within `withinDays`) without an amount. */
export const closedWonMissingAmount: Rule = {
  id: 'closed_won_missing_amount',
  appliesTo: 'closed',
  defaultSeverity: 'warning',
  evaluate(f, ctx) {
    if (!f.deal.isWon || (f.deal.amount !== null && f.deal.amount !== 0)) return null;
    if (!closedWithin(f, ctx, ctx.indexed.cfg.closed_won_missing_amount.withinDays)) return null;
    return {
      message: 'Closed won without an amount: the win is missing from bookings and quota attainment.',
      evidence: { amount: f.deal.amount, closeDate: f.deal.closeDate },
      suggestedAction: 'Enter the signed amount.',
    };
  },
};

/** `closed_lost_missing_reason`: a lost deal without a reason, when the reason field is mapped. */
export const closedLostMissingReason: Rule = {
  id: 'closed_lost_missing_reason',
  appliesTo: 'closed',
  defaultSeverity: 'info',
  evaluate(f, ctx) {
    if (!ctx.indexed.settings.lostReasonMapped || f.deal.isWon) return null;
    if (f.deal.lostReason !== null && f.deal.lostReason.trim() !== '') return null;
    if (!closedWithin(f, ctx, ctx.indexed.cfg.closed_lost_missing_reason.withinDays)) return null;
    return {
      message: 'Closed lost without a reason: the team cannot learn from this loss.',
      evidence: { lostReason: f.deal.lostReason, closeDate: f.deal.closeDate },
      suggestedAction: 'Pick the loss reason (price, competitor, no decision, timing...).',
    };
  },
};
