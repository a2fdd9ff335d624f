/** Rules about stage progress: stuck, moved backwards, jumped over stages. */
import { isoDateOfDay } from '../time.js';
import { plural, stageLabel, type DealFacts, type Rule, type RuleContext } from './types.js';

/** `stuck_in_stage`: days in stage above `factor` x learned median, else above the fixed fallback. */
export const stuckInStage: Rule = {
  id: 'stuck_in_stage',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, ctx) {
    const b = ctx.stuckFor(f);
    if (!(f.daysInStage > b.thresholdDays)) return null;
    const label = stageLabel(f);
    // the stuck limit is one per stage: the stage and the day count decide the message
    const stage = `${f.deal.pipeline}/${f.deal.stageId}`;
    return {
      message: ctx.memo.get(`stuck_in_stage ${f.daysInStage} ${stage}`, () =>
        b.source === 'learned'
          ? `In ${label} for ${plural(f.daysInStage, 'day')}; won deals spent a median of ${b.medianDaysWon} days there ` +
            `(limit ${b.thresholdDays} = ${b.factor} x median, ${b.wonSamples} won deals).`
          : `In ${label} for ${plural(f.daysInStage, 'day')} (fixed limit ${b.thresholdDays} days: ` +
            `${b.wonSamples} won deals through this stage, ${b.minSamples} needed to learn its median).`,
      ),
      evidence: {
        daysInStage: f.daysInStage,
        enteredStageAt: f.enteredStageAt,
        thresholdDays: b.thresholdDays,
        benchmark: b.source,
        medianDaysWon: b.medianDaysWon,
        wonSamples: b.wonSamples,
        minSamples: b.minSamples,
        factor: b.factor,
      },
      suggestedAction: ctx.memo.get(
        `stuck_in_stage action ${stage}`,
        () => `Agree the exit criteria for ${label} with the buyer, or move the deal back or close it.`,
      ),
    };
  },
};

function recentMove(f: DealFacts, ctx: RuleContext, withinDays: number) {
  const move = f.lastMove;
  const from = f.lastMoveFrom;
  if (!move || !from || !f.stage) return null;
  if (ctx.indexed.today - f.lastMoveDay > withinDays) return null;
  return { move, from, to: f.stage, day: f.lastMoveDay };
}

/** `stage_regressed`: the move into the current stage (within `withinDays`) went to an earlier stage. */
export const stageRegressed: Rule = {
  id: 'stage_regressed',
  appliesTo: 'open',
  defaultSeverity: 'warning',
  evaluate(f, ctx) {
    const m = recentMove(f, ctx, ctx.indexed.cfg.stage_regressed.withinDays);
    if (!m || m.from.stage.isClosed || m.to.rank >= m.from.rank) return null;
    return {
      message: `Moved back from ${m.from.stage.label} to ${m.to.stage.label} on ${isoDateOfDay(m.day)}.`,
      evidence: { fromStageId: m.from.stage.id, toStageId: m.to.stage.id, movedAt: m.move.at, stagesBack: m.from.rank - m.to.rank },
      suggestedAction: 'Note what changed with the buyer and update the close date and amount to match.',
    };
  },
};

/** `stage_skipped`: the move into the current stage (within `withinDays`) jumped over open stages. */
export const stageSkipped: Rule = {
  id: 'stage_skipped',
  appliesTo: 'open',
  defaultSeverity: 'info',
  evaluate(f, ctx) {
    const m = recentMove(f, ctx, ctx.indexed.cfg.stage_skipped.withinDays);
    if (!m || m.from.openRank < 0) return null;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: redundant: with the target first or closed, `skipped` is negative
    if (m.to.openRank < 0) return null;
    const skipped = m.to.openRank - m.from.openRank - 1;
    if (skipped < 1) return null;
    // Stryker disable next-line ArrayDeclaration: the deal's stage was found in its pipeline above, so the pipeline has stages
    const stages = ctx.indexed.stagesByPipeline.get(f.deal.pipeline) ?? [];
    const names = stages
      .filter((s) => !s.isClosed)
      .slice(m.from.openRank + 1, m.to.openRank)
      .map((s) => s.label);
    return {
      message: `Jumped from ${m.from.stage.label} to ${m.to.stage.label}, skipping ${names.join(', ')}.`,
      evidence: { fromStageId: m.from.stage.id, toStageId: m.to.stage.id, skippedStages: names, movedAt: m.move.at },
      suggestedAction: `Confirm the exit criteria of ${names.join(', ')} were met, or move the deal to the right stage.`,
    };
  },
};
