/** CRM hygiene rules: fields a forecast needs and buyer coverage. */
import { percent, plural, stageLabel, type Rule } from './types.js';

/** `missing_amount`: no amount (or zero). */
export const missingAmount: Rule = {
  id: 'missing_amount',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f) {
    if (f.deal.amount !== null && f.deal.amount !== 0) return null;
    return {
      message: 'No amount: the deal counts for nothing in the forecast.',
      evidence: { amount: f.deal.amount },
      suggestedAction: 'Enter the expected amount (your best estimate is better than none).',
    };
  },
};

/** `missing_close_date`: no close date. */
export const missingCloseDate: Rule = {
  id: 'missing_close_date',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f) {
    if (f.deal.closeDate !== null) return null;
    return {
      message: 'No close date: the deal is in no forecast period.',
      evidence: { closeDate: null },
      suggestedAction: 'Enter the close date the buyer is working towards.',
    };
  },
};

/** `missing_next_step`: no next step from the stage whose probability is at least `fromProbability`. */
export const missingNextStep: Rule = {
  id: 'missing_next_step',
  appliesTo: 'open',
  defaultSeverity: 'info',
  evaluate(f, { indexed, memo }) {
    const from = indexed.cfg.missing_next_step.fromProbability;
    if (f.probability < from) return null;
    if (f.deal.nextStep !== null && f.deal.nextStep.trim() !== '') return null;
    const label = stageLabel(f);
    return {
      message: memo.get(`missing_next_step ${label}`, () => `No next step in ${label} (required from ${percent(from)} probability).`),
      evidence: { probability: f.probability, fromProbability: from, stageId: f.deal.stageId },
      suggestedAction: 'Write the next step: who does what by when.',
    };
  },
};

/** `single_threaded`: at most `maxContacts` contacts on a deal from `fromProbability`. Unknown counts are skipped. */
export const singleThreaded: Rule = {
  id: 'single_threaded',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed, memo }) {
    const cfg = indexed.cfg.single_threaded;
    const n = f.deal.contactCount;
    if (n === null || n > cfg.maxContacts || f.probability < cfg.fromProbability) return null;
    return {
      message: memo.get(
        `single_threaded ${n} ${f.probability}`,
        () => `Only ${plural(n, 'contact')} on a deal at ${percent(f.probability)} probability: one departure loses it.`,
      ),
      evidence: { contactCount: n, maxContacts: cfg.maxContacts, probability: f.probability, fromProbability: cfg.fromProbability },
      suggestedAction: "Meet a second stakeholder (economic buyer or champion's manager) and add them to the deal.",
    };
  },
};
