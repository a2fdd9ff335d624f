/** Rules about the close date: passed, or pushed out again and again. */
import { fiscalQuarterIndex, fiscalQuarterOf, isoInstant, MS_PER_DAY } from '../time.js';
import { plural, type Rule } from './types.js';

/** `close_date_passed`: the close date is before today in the connection's time zone. */
export const closeDatePassed: Rule = {
  id: 'close_date_passed',
  appliesTo: 'open',
  defaultSeverity: 'critical',
  evaluate(f, { indexed, memo }) {
    if (!(f.closeDay < indexed.today)) return null;
    const overdue = indexed.today - f.closeDay;
    return {
      message: memo.get(
        `close_date_passed ${f.deal.closeDate}`,
        () => `Close date ${f.deal.closeDate} passed ${plural(overdue, 'day')} ago and the deal is still open.`,
      ),
      evidence: { closeDate: f.deal.closeDate, daysOverdue: overdue, timezone: indexed.settings.timezone },
      suggestedAction: 'Set a close date the buyer has agreed to, or close the deal.',
    };
  },
};

/** `close_date_pushed`: moved later `count`+ times in the last `days`, or into a later fiscal quarter. */
export const closeDatePushed: Rule = {
  id: 'close_date_pushed',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed }) {
    const changes = f.closeDateChanges;
    if (!changes) return null;
    const cfg = indexed.cfg.close_date_pushed;
    const fy = indexed.settings.fiscalYearStartMonth;
    const since = indexed.nowMs - cfg.days * MS_PER_DAY;
    const pushes = changes.filter((c) => c.atMs >= since && c.atMs <= indexed.nowMs && c.newDay > c.oldDay);
    if (pushes.length === 0) return null;
    const quarterPushes = cfg.quarterBoundary
      ? pushes.filter((c) => fiscalQuarterIndex(c.newDay, fy) > fiscalQuarterIndex(c.oldDay, fy))
      : [];
    if (pushes.length < cfg.count && quarterPushes.length === 0) return null;
    const moves = pushes.map((c) => ({ from: c.oldValue, to: c.newValue, at: isoInstant(c.atMs), days: c.newDay - c.oldDay }));
    const parts: string[] = [];
    if (pushes.length >= cfg.count)
      parts.push(`Close date pushed ${plural(pushes.length, 'time')} in the last ${cfg.days} days (threshold ${cfg.count})`);
    const q = quarterPushes[quarterPushes.length - 1];
    if (q) {
      const from = fiscalQuarterOf(q.oldDay, fy).label;
      parts.push(`${parts.length ? 'and' : 'Close date'} moved from ${from} to ${fiscalQuarterOf(q.newDay, fy).label}`);
    }
    return {
      message: `${parts.join(' ')}.`,
      evidence: {
        pushes: pushes.length,
        thresholdCount: cfg.count,
        windowDays: cfg.days,
        quarterBoundaryCrossed: quarterPushes.length > 0,
        moves,
      },
      suggestedAction: 'Ask the buyer for the real decision date and what must happen before it; commit only to that.',
    };
  },
};
