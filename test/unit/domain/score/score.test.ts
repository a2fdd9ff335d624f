import { describe, expect, it } from 'vitest';
import { bandOf, closeRealismScore, engagementScore, recencyScore, velocityScore } from '../../../../src/domain/score/score.js';
import { evaluateDeals } from '../../../../src/domain/engine.js';
import { DealScore } from '../../../../src/domain/model/index.js';
import { activity, closeDateChange, deal, input, move, NOW, wonDeal } from '../builders.js';

const score = (inp: ReturnType<typeof input>, id = 'd1') => {
  const s = evaluateDeals(inp, NOW).scoreByDeal.get(id);
  if (!s) throw new Error('no score');
  return s;
};
const component = (s: DealScore, name: string) => s.components.find((c) => c.name === name)!;

describe('score components', () => {
  it('recency: 100 today, 50 at the stale threshold, 0 at twice', () => {
    expect(recencyScore(0, 14)).toBe(100);
    expect(recencyScore(7, 14)).toBe(75);
    expect(recencyScore(14, 14)).toBe(50);
    expect(recencyScore(28, 14)).toBe(0);
    expect(recencyScore(60, 14)).toBe(0);
  });

  it('engagement: 10 per touch (max 6), +20 two-way, +20 scheduled', () => {
    expect(engagementScore(0, 0, 0, false)).toBe(0);
    expect(engagementScore(0, 3, 0, false)).toBe(30);
    expect(engagementScore(1, 2, 0, false)).toBe(50);
    expect(engagementScore(4, 4, 1, true)).toBe(100);
  });

  it('velocity: 100 up to half the limit, 50 at the limit, 0 at 1.5x', () => {
    expect(velocityScore(10, 30)).toBe(100);
    expect(velocityScore(15, 30)).toBe(100);
    expect(velocityScore(30, 30)).toBe(50);
    expect(velocityScore(45, 30)).toBe(0);
  });

  it('close-date realism: passed 0, missing 40, -25 per push, -25 for a quarter push', () => {
    expect(closeRealismScore(true, false, 0, false)).toBe(0);
    expect(closeRealismScore(false, true, 0, false)).toBe(40);
    expect(closeRealismScore(false, false, 0, false)).toBe(100);
    expect(closeRealismScore(false, false, 1, true)).toBe(50);
    expect(closeRealismScore(false, false, 5, false)).toBe(0);
  });

  it('bands: healthy >= 70, at_risk 40-69, critical < 40', () => {
    expect(bandOf(70)).toBe('healthy');
    expect(bandOf(69)).toBe('at_risk');
    expect(bandOf(40)).toBe('at_risk');
    expect(bandOf(39)).toBe('critical');
  });
});

describe('deal score', () => {
  const healthy = input({
    deals: [
      deal('d1', { stageId: 'demo', stageEnteredAt: '2026-11-20T10:00:00.000Z', createdAt: '2026-11-01T10:00:00.000Z', contactCount: 3 }),
    ],
    activities: [
      activity('d1', '2026-11-25T10:00:00.000Z', { direction: 'inbound', type: 'email' }),
      activity('d1', '2026-11-24T10:00:00.000Z'),
      activity('d1', '2026-11-20T10:00:00.000Z'),
      activity('d1', '2026-12-02T10:00:00.000Z', { type: 'meeting', completed: false }),
    ],
  });

  it('computes a healthy deal by hand', () => {
    const s = score(healthy);
    // recency 1 day: 100 - 1/14*50 = 96.4; engagement 3 touches + two-way + scheduled = 70;
    // velocity 6 days of 30: 100; realism 100; hygiene 100
    expect(component(s, 'activity_recency').score).toBe(96.4);
    expect(component(s, 'engagement').score).toBe(70);
    expect(component(s, 'stage_velocity').score).toBe(100);
    expect(component(s, 'close_date_realism').score).toBe(100);
    expect(component(s, 'hygiene').score).toBe(100);
    // (96.4*30 + 70*20 + 100*20 + 100*15 + 100*15) / 100 = 92.92 -> 93
    expect(s.score).toBe(93);
    expect(s.band).toBe('healthy');
    expect(s.components.reduce((t, c) => t + c.weight, 0)).toBe(100);
    expect(DealScore.safeParse(s).success).toBe(true);
  });

  it('gives at most 3 positive and 3 negative signed reasons, positives first', () => {
    const s = score(healthy);
    const pos = s.reasons.filter((r) => r.impact > 0);
    const neg = s.reasons.filter((r) => r.impact < 0);
    expect(pos.length).toBeLessThanOrEqual(3);
    expect(neg.length).toBeLessThanOrEqual(3);
    expect(pos[0]!.text).toBe('Last activity 1 day ago');
    expect(s.suggestedAction).toBeNull();
  });

  it('scores a neglected deal critical with a suggested action from its most severe finding', () => {
    const s = score(
      input({
        deals: [
          deal('d1', {
            stageId: 'proposal',
            createdAt: '2026-09-01T10:00:00.000Z',
            closeDate: '2026-11-01',
            contactCount: 1,
            nextStep: null,
          }),
        ],
      }),
    );
    expect(s.band).toBe('critical');
    expect(component(s, 'close_date_realism').score).toBe(0);
    // hygiene: missing_next_step 20 + no_next_activity 25 + single_threaded 20 = 65 lost
    expect(component(s, 'hygiene').score).toBe(35);
    expect(s.reasons.filter((r) => r.impact < 0)).toHaveLength(3);
    expect(s.suggestedAction).toMatch(/close date|buyer/i);
  });

  it('counts close-date pushes against realism', () => {
    const s = score(
      input({
        deals: [deal('d1', { closeDate: '2026-12-20' })],
        fieldChanges: [closeDateChange('d1', '2026-12-10', '2026-12-20', '2026-11-20T10:00:00.000Z')],
      }),
    );
    expect(component(s, 'close_date_realism').score).toBe(75);
  });

  it('says when default benchmarks were used, and not once 20 won deals exist for the stage', () => {
    expect(score(healthy).usedDefaultBenchmarks).toBe(true);
    const deals = [...healthy.deals];
    const changes = [];
    for (let i = 0; i < 20; i++) {
      deals.push(wonDeal(`w${i}`));
      changes.push(
        move(`w${i}`, 'discovery', 'demo', '2026-06-01T10:00:00.000Z'),
        move(`w${i}`, 'demo', 'won', '2026-06-11T10:00:00.000Z'),
      );
    }
    const s = score({ ...healthy, deals, stageChanges: changes });
    expect(s.usedDefaultBenchmarks).toBe(false);
    // learned limit 15 days (1.5 x 10); 6 days in stage -> 100
    expect(component(s, 'stage_velocity').detail).toContain('1.5 x median 10 of 20 won deals');
  });
});

describe('shared score parts', () => {
  it('deals with the same numbers share frozen components and reasons, and their scores still differ where the deals do', () => {
    const inp = input({ deals: [deal('d1'), deal('d2'), deal('d3', { closeDate: null })] });
    const ev = evaluateDeals(inp, NOW);
    const [a, b, c] = ['d1', 'd2', 'd3'].map((id) => ev.scoreByDeal.get(id)!);
    expect(component(a!, 'activity_recency')).toBe(component(b!, 'activity_recency'));
    expect(Object.isFrozen(component(a!, 'activity_recency'))).toBe(true);
    for (const r of a!.reasons) expect(Object.isFrozen(r)).toBe(true);
    expect(() => {
      (component(a!, 'activity_recency') as { score: number }).score = 0;
    }).toThrow(TypeError);
    expect(component(c!, 'close_date_realism')).not.toBe(component(a!, 'close_date_realism'));
    expect(component(c!, 'close_date_realism').detail).toBe('no close date');
    expect(a!.dealId).toBe('d1');
    expect(b!.dealId).toBe('d2');
  });
});
