/** Rules about money on the deal: shrinking amounts and discounts beyond the approval matrix. */
import { formatMoney, toReporting } from '../money.js';
import { groupThousands } from '../strings.js';
import { isoDateOfDay } from '../time.js';
import { discountTierFor } from './config.js';
import type { Rule } from './types.js';

/** `amount_decreased`: amount dropped by more than `percent` since the snapshot `days` ago. */
export const amountDecreased: Rule = {
  id: 'amount_decreased',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed }) {
    const base = f.amountBaseline;
    if (!base || base.amount === null || base.amount <= 0 || f.deal.amount === null) return null;
    const before = toReporting(base.amount, base.currency, indexed.money);
    const now = toReporting(f.deal.amount, f.deal.currency, indexed.money);
    if (before.currency !== now.currency) return null; // no rate to compare across currencies
    const dropPercent = ((before.amount - now.amount) / before.amount) * 100;
    const limit = indexed.cfg.amount_decreased.percent;
    if (!(dropPercent > limit)) return null;
    const rounded = Math.round(dropPercent * 10) / 10;
    return {
      message:
        `Amount fell ${rounded}% since ${isoDateOfDay(base.day)}, ` +
        `from ${formatMoney(before)} to ${formatMoney(now)} (threshold ${limit}%).`,
      evidence: {
        before: before.amount,
        after: now.amount,
        currency: now.currency,
        dropPercent: rounded,
        thresholdPercent: limit,
        baselineDay: isoDateOfDay(base.day),
      },
      suggestedAction: 'Record why the scope shrank; if it is a discount, get it approved.',
    };
  },
};

/** `discount_over_limit`: discount above the approval matrix tier of the deal's amount. */
export const discountOverLimit: Rule = {
  id: 'discount_over_limit',
  appliesTo: 'open',
  defaultSeverity: 'critical',
  evaluate(f, { indexed }) {
    const pct = f.deal.discountPercent;
    if (pct === null) return null;
    const amount = f.deal.amount ?? 0;
    const m = toReporting(amount, f.deal.currency, indexed.money);
    const tier = discountTierFor(indexed.cfg.discount_over_limit.tiers, m.amount);
    if (!tier || !(pct > tier.maxPercent)) return null;
    const band =
      tier.belowAmount === null ? 'at any amount' : `under ${groupThousands(tier.belowAmount)} ${indexed.money.reportingCurrency}`;
    return {
      message:
        `Discount ${pct}% on a ${formatMoney(m)} deal exceeds the ${tier.maxPercent}% limit for deals ${band}; ` +
        `needs approval from the ${tier.approver}.`,
      evidence: {
        discountPercent: pct,
        limitPercent: tier.maxPercent,
        amount: m.amount,
        currency: m.currency,
        tierBelowAmount: tier.belowAmount,
        approver: tier.approver,
        converted: m.currency === indexed.money.reportingCurrency,
      },
      suggestedAction: `Get the ${tier.approver}'s approval for the discount, or bring it to ${tier.maxPercent}% or less.`,
    };
  },
};
