/** Rules about rep activity: stale deals, no next step scheduled, stage moves without activity. */
import { staleDaysFor } from './config.js';
import { isoDateOfDay, isoInstant, MS_PER_DAY } from '../time.js';
import { percent, plural, type Rule } from './types.js';

/** `stale_deal`: no counted activity for `days` (per pipeline), from the later of last activity and creation. */
export const staleDeal: Rule = {
  id: 'stale_deal',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed, memo }) {
    const threshold = staleDaysFor(indexed.cfg, f.deal.pipeline);
    if (f.idleDays < threshold) return null;
    const hasActivity = Number.isFinite(f.stats.lastMs);
    const critical = f.idleDays >= threshold * indexed.cfg.stale_deal.criticalFactor;
    return {
      severity: critical ? 'critical' : 'warning',
      // the same few hundred messages on tens of thousands of deals: one copy each (see memo.ts)
      message: memo.get(`stale_deal ${f.idleDays} ${threshold} ${hasActivity}`, () =>
        hasActivity
          ? `No logged activity in ${plural(f.idleDays, 'day')} (team threshold ${threshold}).`
          : `No logged activity since the deal was created ${plural(f.idleDays, 'day')} ago (team threshold ${threshold}).`,
      ),
      evidence: {
        idleDays: f.idleDays,
        thresholdDays: threshold,
        lastActivityAt: hasActivity ? isoInstant(f.stats.lastMs) : null,
        createdAt: f.deal.createdAt,
        countedFrom: hasActivity && f.stats.lastMs >= f.createdMs ? 'last_activity' : 'created',
      },
      suggestedAction: 'Reach the buyer this week and log the touch; if the deal is dead, close it as lost.',
    };
  },
};

/** `no_next_activity`: no open task and no future meeting from `fromProbability` (0.4). */
export const noNextActivity: Rule = {
  id: 'no_next_activity',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed, memo }) {
    const from = indexed.cfg.no_next_activity.fromProbability;
    if (f.probability < from) return null;
    if (f.stats.openTasks > 0 || f.stats.futureMeetings > 0) return null;
    return {
      message: memo.get(
        `no_next_activity ${f.probability}`,
        () => `No open task or future meeting on a deal at ${percent(f.probability)} probability (required from ${percent(from)}).`,
      ),
      evidence: { probability: f.probability, fromProbability: from, openTasks: 0, futureMeetings: 0 },
      suggestedAction: 'Schedule the next meeting or create a follow-up task with a date.',
    };
  },
};

/**
 * `activity_not_logged`: the deal advanced a stage (within `withinDays`, and more than a day after
 * creation) with no activity in the `days` before.
 */
export const activityNotLogged: Rule = {
  id: 'activity_not_logged',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, { indexed }) {
    const cfg = indexed.cfg.activity_not_logged;
    const move = f.lastMove;
    const from = f.lastMoveFrom;
    if (!move || !from || !f.stage || from.rank >= f.stage.rank) return null;
    const moveDay = f.lastMoveDay;
    if (indexed.today - moveDay > cfg.withinDays) return null;
    // A stage set within a day of creation is data entry, not an advance that needed a touch.
    if (move.atMs - f.createdMs < MS_PER_DAY) return null;
    if (f.stats.loggedBeforeLastMove) return null;
    return {
      message:
        `Moved to ${f.stage.stage.label} on ${isoDateOfDay(moveDay)} ` +
        `with no activity logged in the ${plural(cfg.days, 'day')} before.`,
      evidence: { fromStageId: move.fromStageId, toStageId: f.deal.stageId, movedAt: move.at, windowDays: cfg.days },
      suggestedAction: 'Log the call, meeting or email that moved this deal forward.',
    };
  },
};
