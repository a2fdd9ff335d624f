/**
 * The generated book: deterministic, realistic in shape, and truthful about what it planted. An
 * independent check of the engine's default thresholds (src/domain/rules/config.ts) recomputes which problems every
 * open deal exhibits; it must equal the generator's own record, so precision and recall measured
 * against `planted` are measured against reality.
 */
import { describe, expect, it } from 'vitest';
import type { Book, Deal, PlantedProblem } from '../../../src/sandbox/generator/book.js';
import { discountLimitFor } from '../../../src/sandbox/generator/catalog.js';
import { generateBook } from '../../../src/sandbox/generator/generate.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;
const now = NOW.getTime();
const today = Math.floor(now / DAY) * DAY;

function exhibited(book: Book, idx: number): Set<PlantedProblem> {
  const deal = book.deals[idx] as Deal;
  const stages = book.pipelines[deal.pipeline]!.stages;
  const stage = stages[deal.stage]!;
  // Salesforce Tasks are read by their date (ActivityDate): judge them at UTC midnight.
  const seen = (a: (typeof book.activities)[number]) =>
    book.provider === 'salesforce' && a.kind !== 'meeting' ? Math.floor(a.at / DAY) * DAY : a.at;
  const acts = book.activities.filter((a) => a.deal === idx && !a.deleted).map((a) => ({ ...a, at: seen(a) }));
  const done = acts.filter((a) => a.completed && a.at <= now);
  const out = new Set<PlantedProblem>();
  const lastActivity = Math.max(deal.createdAt, ...done.map((a) => a.at));
  if (now - lastActivity > 14 * DAY) out.add('stale_deal');
  if (now - deal.stageEnteredAt > 30 * DAY) out.add('stuck_in_stage');
  if (deal.closeDate !== null && deal.closeDate < today) out.add('close_date_passed');
  const pushes = book.fieldHistory.filter(
    (h) =>
      h.deal === idx &&
      h.field === 'CloseDate' &&
      h.at >= now - 90 * DAY &&
      h.oldValue !== null &&
      h.newValue !== null &&
      String(h.newValue) > String(h.oldValue),
  );
  if (pushes.length >= 2) out.add('close_date_pushed');
  if (deal.amount === null) out.add('missing_amount');
  if (deal.closeDate === null) out.add('missing_close_date');
  if (deal.nextStep === null && stage.probability >= 0.2) out.add('missing_next_step');
  const hasNext = acts.some((a) => !a.completed && (a.kind === 'task' || a.at > now));
  if (!hasNext && stage.probability >= 0.4) out.add('no_next_activity');
  if (deal.contactIds.length <= 1 && stage.probability >= 0.4) out.add('single_threaded');
  const drops = book.fieldHistory.filter(
    (h) =>
      h.deal === idx &&
      h.field === 'Amount' &&
      h.at >= now - 7 * DAY &&
      typeof h.oldValue === 'number' &&
      typeof h.newValue === 'number' &&
      h.newValue < h.oldValue * 0.8,
  );
  if (drops.length > 0) out.add('amount_decreased');
  const moves = book.stageHistory.filter((h) => h.deal === idx).map((h) => h);
  const stageMoves: { from: number; to: number; at: number }[] = [];
  for (let i = 1; i < moves.length; i++)
    if (moves[i]!.stage !== moves[i - 1]!.stage) stageMoves.push({ from: moves[i - 1]!.stage, to: moves[i]!.stage, at: moves[i]!.at });
  const lastMove = stageMoves[stageMoves.length - 1];
  if (lastMove && lastMove.to < lastMove.from) out.add('stage_regressed');
  if (lastMove && lastMove.to > lastMove.from + 1) out.add('stage_skipped');
  if (deal.discount !== null && deal.amount !== null && deal.discount > discountLimitFor(deal.amount)) out.add('discount_over_limit');
  for (const m of stageMoves) {
    if (m.to > m.from && !done.some((a) => a.at <= m.at && a.at >= m.at - 7 * DAY)) out.add('activity_not_logged');
  }
  return out;
}

const CASES = (['hubspot', 'salesforce'] as const).flatMap((provider) => [1, 2, 3].map((seed) => ({ provider, seed })));

describe.each(CASES)('generated $provider book, seed $seed', ({ provider, seed: SEED }) => {
  const book = generateBook({ provider, seed: SEED, deals: 800, now: NOW });
  const openIdx = book.deals
    .map((d, i) => i)
    .filter((i) => !book.pipelines[book.deals[i]!.pipeline]!.stages[book.deals[i]!.stage]!.isClosed);

  it('is deterministic for a seed and differs for another', () => {
    const again = generateBook({ provider, seed: SEED, deals: 800, now: NOW });
    expect(JSON.stringify(again)).toBe(JSON.stringify(book));
    const other = generateBook({ provider, seed: SEED + 1, deals: 800, now: NOW });
    expect(JSON.stringify(other.deals)).not.toBe(JSON.stringify(book.deals));
  });

  it('records exactly the problems each open deal exhibits, and healthy deals exhibit none', () => {
    expect(Object.keys(book.planted.deals).sort()).toEqual(openIdx.map((i) => book.deals[i]!.id).sort());
    for (const i of openIdx) {
      const deal = book.deals[i]!;
      const planted = [...(book.planted.deals[deal.id] ?? [])].sort();
      expect({ id: deal.id, problems: [...exhibited(book, i)].sort() }).toEqual({ id: deal.id, problems: planted });
    }
    expect(book.planted.healthy.length).toBeGreaterThan(openIdx.length / 4);
  });

  it('plants every problem kind it can express on this provider', () => {
    const kinds = new Set(Object.values(book.planted.deals).flat());
    const expected: PlantedProblem[] = [
      'stale_deal',
      'stuck_in_stage',
      'close_date_passed',
      'close_date_pushed',
      'missing_amount',
      'missing_next_step',
      'no_next_activity',
      'single_threaded',
      'amount_decreased',
      'stage_regressed',
      'stage_skipped',
      'discount_over_limit',
      'activity_not_logged',
    ];
    if (provider === 'hubspot') expected.push('missing_close_date');
    expect([...kinds].sort()).toEqual(expected.sort());
  });

  it('keeps healthy deals well inside every threshold (margins, not edges)', () => {
    for (const id of book.planted.healthy) {
      const i = book.deals.findIndex((d) => d.id === id);
      const deal = book.deals[i]!;
      const done = book.activities.filter((a) => a.deal === i && a.completed && a.at <= now);
      expect(now - Math.max(...done.map((a) => a.at))).toBeLessThan(4 * DAY);
      expect(done.some((a) => a.direction === 'inbound' && a.at > now - 10 * DAY)).toBe(true);
      expect(done.some((a) => a.direction === 'outbound' && a.at > now - 10 * DAY)).toBe(true);
      expect(now - deal.stageEnteredAt).toBeLessThan(7 * DAY);
      expect(deal.closeDate! - today).toBeGreaterThanOrEqual(20 * DAY);
      expect(deal.pushCount).toBe(0);
      expect(deal.contactIds.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('has reps with every habit, two teams, lead sources with different win rates and ~10 activities per deal', () => {
    expect(new Set(book.reps.map((r) => r.habit))).toEqual(
      new Set(['diligent', 'never_logs', 'loses_at_stage', 'heavy_discounter', 'slipper', 'steady']),
    );
    expect(new Set(book.reps.map((r) => r.team)).size).toBe(2);
    expect(book.accounts.filter((a) => a.isKey)).toHaveLength(3);
    const ratio = book.activities.length / book.deals.length;
    expect(ratio).toBeGreaterThan(7);
    expect(ratio).toBeLessThan(14);
    const closed = book.deals.filter((d) => book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed);
    const winRate = (source: string) => {
      const c = closed.filter((d) => d.leadSource === source);
      return c.filter((d) => book.pipelines[d.pipeline]!.stages[d.stage]!.isWon).length / c.length;
    };
    const sources = book.leadSources.map((s) => s.name);
    const best = sources[0]!;
    const worst = [...book.leadSources].sort((a, b) => a.winRate - b.winRate)[0]!.name;
    expect(winRate(best)).toBeGreaterThan(winRate(worst) + 0.15);
  });

  it('gives the stage-loser rep most losses at one stage and history spanning two years', () => {
    const loserIdx = book.reps.findIndex((r) => r.habit === 'loses_at_stage');
    const lost = book.deals.filter(
      (d) =>
        d.owner === loserIdx &&
        book.pipelines[d.pipeline]!.stages[d.stage]!.isClosed &&
        !book.pipelines[d.pipeline]!.stages[d.stage]!.isWon &&
        d.pipeline === 0,
    );
    const lastOpenStage = lost.map((d) => {
      const i = book.deals.indexOf(d);
      const rows = book.stageHistory.filter((h) => h.deal === i);
      return rows[rows.length - 2]!.stage;
    });
    const weak = book.pipelines[0]!.stages.findIndex((s) => s.id === book.reps[loserIdx]!.weakStageId);
    expect(lastOpenStage.filter((s) => s === weak).length / lastOpenStage.length).toBeGreaterThan(0.5);
    const oldest = Math.min(...book.deals.map((d) => d.createdAt));
    expect(now - oldest).toBeGreaterThan(700 * DAY);
  });
});
