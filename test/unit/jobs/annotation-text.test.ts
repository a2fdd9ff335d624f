import { describe, expect, it } from 'vitest';
import { dealWarningText } from '../../../jobs/annotation-text.js';

const stale = {
  ruleId: 'stale_deal',
  severity: 'warning' as const,
  firstSeenAt: '2026-11-20T09:00:00.000Z',
  message: 'No logged activity in 44 days (team threshold 14).',
  suggestedAction: 'Reach the buyer this week and log the touch.',
};
const discount = {
  ruleId: 'discount_over_limit',
  severity: 'critical' as const,
  firstSeenAt: '2026-11-25T09:00:00.000Z',
  message: 'Discount 31% on a 147,800 USD deal exceeds the 20% limit for deals under 250,000 USD; needs approval from the CFO.',
  suggestedAction: 'Get the approval before sending the quote.',
};
const passed = {
  ruleId: 'close_date_passed',
  severity: 'critical' as const,
  firstSeenAt: '2026-11-21T09:00:00.000Z',
  message: 'Close date 2026-10-22 passed 35 days ago and the deal is still open.',
  suggestedAction: 'Set a close date the buyer has agreed to, or close the deal.',
};

describe('a deal warning as the rep reads it', () => {
  it('lists every open finding by name, most urgent first, each with what to do, dates as people write them', () => {
    const w = dealWarningText({
      open: [stale, discount, passed],
      resolved: [{ ruleId: 'missing_next_step' }],
      openedAt: '2026-11-20T23:30:00.000Z',
      timezone: 'Pacific/Auckland',
      approverName: 'Dana Reyes',
    });
    expect(w.title).toBe('Pipeline health: Close date passed and 2 more');
    expect(w.severity).toBe('critical');
    expect(w.body).toBe(
      [
        '3 things need your attention on this deal, most urgent first:',
        '',
        '1. Close date passed (urgent): Close date 22 Oct 2026 passed 35 days ago and the deal is still open.',
        '   What to do: Set a close date the buyer has agreed to, or close the deal.',
        '',
        '2. Discount needs approval (urgent): Discount 31% on a 147,800 USD deal exceeds the 20% limit ' +
          'for deals under 250,000 USD; needs approval from the CFO. Approval is requested from Dana ' +
          'Reyes.',
        '   What to do: Get the approval before sending the quote.',
        '',
        '3. No recent activity (needs attention): No logged activity in 44 days (team threshold 14).',
        '   What to do: Reach the buyer this week and log the touch.',
        '',
        // 23:30 UTC on the 20th is the 21st in Auckland.
        'Resolved since 21 Nov 2026: No next step.',
      ].join('\n'),
    );
  });

  it('reads "all clear" with what was resolved when nothing is open', () => {
    const w = dealWarningText({
      open: [],
      resolved: [{ ruleId: 'stale_deal' }, { ruleId: 'stuck_in_stage' }],
      openedAt: '2026-11-20T09:00:00.000Z',
      timezone: 'UTC',
    });
    expect(w).toEqual({
      title: 'Pipeline health: all clear',
      body: 'Nothing needs your attention on this deal any more.\n\nResolved since 20 Nov 2026: No recent activity, Stuck in stage.',
      severity: null,
    });
  });

  it('names one finding in the title when it is the only one', () => {
    expect(dealWarningText({ open: [stale], resolved: [], openedAt: '2026-11-20T09:00:00.000Z', timezone: 'UTC' }).title).toBe(
      'Pipeline health: No recent activity',
    );
  });
});
