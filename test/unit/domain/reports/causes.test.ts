import { describe, expect, it } from 'vitest';
import { indexInput, buildReport, evaluateDeals, reportContext, type EngineInput } from '../../../../src/domain/engine.js';
import type { Deal, StageChange } from '../../../../src/domain/model/index.js';
import { findActivityCollapses, findConcentrations, groupFindings, significantForRep } from '../../../../src/domain/reports/causes.js';
import type { TrendFlag } from '../../../../src/domain/reports/kpis.js';
import { activity, deal, input, lostDeal, move, NOW, owner, wonDeal } from '../builders.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const ctxOf = (i: EngineInput) => {
  const b = indexInput(i, NOW);
  return reportContext(b, evaluateDeals(i, NOW, { indexed: b }));
};
const old = { createdAt: ago(200), stageId: 'demo' };

describe('findings grouped by rep and rule', () => {
  const i = input({
    owners: [owner('rep1', { name: 'Ben Haddad' }), owner('rep2', { name: 'Ana Ruiz' })],
    deals: [
      deal('s1', { ...old, amount: 100_000 }),
      deal('s2', { ...old, amount: 200_000 }),
      deal('s3', { ...old, amount: 50_200 }),
      deal('s4', { ...old, ownerId: 'rep2', amount: 9_000 }),
    ],
  });
  const ctx = ctxOf(i);
  const groups = groupFindings(ctx, ctx.evaluation.findings);

  it('says one sentence per rep and rule, with the deals and their amount', () => {
    const ben = groups.find((g) => g.ownerId === 'rep1' && g.ruleId === 'stale_deal')!;
    expect(ben).toMatchObject({ deals: 3, amount: 350_200, dealIds: ['s1', 's2', 's3'] });
    expect(ben.message).toBe('Ben Haddad: 3 stale deals, 350,200 USD, no activity logged in 14+ days');
  });

  it('calls out a rule whose findings sit mostly with one rep', () => {
    const stale = findConcentrations(groups).find((c) => c.ruleId === 'stale_deal')!;
    expect(stale).toMatchObject({ ownerId: 'rep1', repFindings: 3, totalFindings: 4, share: 0.75 });
    expect(stale.message).toContain("3 of 4 stale deals are Ben Haddad's (75%)");
  });
});

describe("activity collapse against the rep's own baseline", () => {
  const acts = (ownerId: string, n: number, fromDaysAgo: number, toDaysAgo: number) =>
    Array.from({ length: n }, (_, k) => activity('x', ago(fromDaysAgo - ((fromDaysAgo - toDaysAgo) * k) / n), { ownerId }));
  const i = input({
    owners: [owner('rep1'), owner('rep2'), owner('rep3')],
    deals: [deal('x', { createdAt: ago(300) })],
    activities: [
      ...acts('rep1', 30, 119, 31),
      ...acts('rep1', 2, 20, 10), // 30 -> 2 per 30 days: collapse
      ...acts('rep2', 10, 119, 31), // baseline of 10 is too small to judge, even with nothing since
      ...acts('rep3', 30, 119, 31),
      ...acts('rep3', 8, 25, 2), // 10 -> 8: normal
    ],
  });

  it('flags only a rep whose baseline is large enough and whose recent count fell below 35 % of it', () => {
    const c = findActivityCollapses(ctxOf(i));
    expect(c.map((x) => x.ownerId)).toEqual(['rep1']);
    expect(c[0]).toMatchObject({ recent: 2, baselinePer30: 10, baselineSamples: 30, ratio: 0.2 });
    expect(c[0]!.message).toContain('2 activities in the last 30 days against 10 per 30 days before');
  });
});

describe("trend significance against the rep's own weekly history", () => {
  const flag: TrendFlag = {
    kpi: 'activityCount',
    current: 0,
    previous: 0,
    changePercent: -50,
    bandPercent: 20,
    direction: 'down',
    concern: true,
    message: '',
  };
  const today = Math.floor(NOW / DAY);
  const period = { startDay: today - 29, endDay: today + 1 };
  /** `perWeek` activities every week for 13 weeks before the period, alternating +-1, then `inPeriod` per week. */
  const book = (inPeriod: number) => {
    const activities = [];
    for (let w = 0; w < 13; w++)
      for (let k = 0; k < 5 + (w % 2 === 0 ? 1 : -1); k++) activities.push(activity('x', ago(30 + 7 * w + (k % 7)), { ownerId: 'rep1' }));
    for (let k = 0; k < inPeriod * 4; k++) activities.push(activity('x', ago(1 + (k % 28)), { ownerId: 'rep1' }));
    return ctxOf(input({ deals: [deal('x', { createdAt: ago(300) })], activities }));
  };

  it("stays quiet for a change within the rep's usual weeks and speaks for one far outside them", () => {
    expect(significantForRep(book(5), 'rep1', flag, period)).toBe(false);
    expect(significantForRep(book(1), 'rep1', flag, period)).toBe(true);
  });

  it('tests a win-rate change on its counts', () => {
    const f = { ...flag, kpi: 'winRate' };
    const ctx = book(5);
    expect(significantForRep(ctx, 'rep1', f, period, { current: { won: 2, lost: 3 }, previous: { won: 3, lost: 2 } })).toBe(false);
    expect(significantForRep(ctx, 'rep1', f, period, { current: { won: 5, lost: 45 }, previous: { won: 30, lost: 20 } })).toBe(true);
  });
});

describe("deal-size and cycle trends against the rep's own won deals", () => {
  const today = Math.floor(NOW / DAY);
  const period = { startDay: today - 29, endDay: today + 1 };
  const sizeFlag: TrendFlag = {
    kpi: 'avgDealSize',
    current: 0,
    previous: 0,
    changePercent: -40,
    bandPercent: 15,
    direction: 'down',
    concern: true,
    message: '',
  };
  const cycleFlag: TrendFlag = { ...sizeFlag, kpi: 'medianSalesCycleDays', changePercent: 60, direction: 'up' };
  /** `historyDeals` won over the year before the period (10,000 +-1,000 USD, 30 +-3 days), then 3 won in it. */
  const book = (historyDeals: number, now: { amount: number; cycle: number }) => {
    const deals: Deal[] = [];
    for (let k = 0; k < historyDeals; k++) {
      const closed = 40 + 25 * k;
      const cycle = 30 + (k % 2 === 0 ? 3 : -3);
      deals.push(
        wonDeal(`h${k}`, {
          amount: 10_000 + (k % 2 === 0 ? 1_000 : -1_000),
          createdAt: ago(closed + cycle),
          closeDate: ago(closed).slice(0, 10),
        }),
      );
    }
    for (let k = 0; k < 3; k++)
      deals.push(wonDeal(`p${k}`, { amount: now.amount, createdAt: ago(5 + k + now.cycle), closeDate: ago(5 + k).slice(0, 10) }));
    return ctxOf(input({ deals }));
  };

  it("stays quiet for a period within the rep's usual deals and speaks for one far outside them", () => {
    expect(significantForRep(book(10, { amount: 9_500, cycle: 31 }), 'rep1', sizeFlag, period)).toBe(false);
    expect(significantForRep(book(10, { amount: 4_000, cycle: 31 }), 'rep1', sizeFlag, period)).toBe(true);
    expect(significantForRep(book(10, { amount: 10_000, cycle: 32 }), 'rep1', cycleFlag, period)).toBe(false);
    expect(significantForRep(book(10, { amount: 10_000, cycle: 60 }), 'rep1', cycleFlag, period)).toBe(true);
  });

  it("claims nothing without enough of the rep's own history", () => {
    expect(significantForRep(book(5, { amount: 4_000, cycle: 60 }), 'rep1', sizeFlag, period)).toBe(false);
    expect(significantForRep(book(5, { amount: 4_000, cycle: 60 }), 'rep1', cycleFlag, period)).toBe(false);
  });
});

describe('the one stage where a rep converts far below the team', () => {
  /**
   * Deals created 2026-09-01, all reaching Demo: rep1 and rep2 move 4 of 6 on, rep3 1 of 6, and
   * rep4 none of 3 (too few deals to judge). Team at Demo: 9 of 21 move on (43%); rep3's 17% is 61% below.
   */
  function book() {
    const deals: Deal[] = [];
    const changes: StageChange[] = [];
    const outcomes: Record<string, [advanced: number, lost: number]> = { rep1: [4, 2], rep2: [4, 2], rep3: [1, 5], rep4: [0, 3] };
    for (const [rep, [advanced, lost]] of Object.entries(outcomes)) {
      for (let i = 0; i < advanced + lost; i++) {
        const id = `${rep}-${i}`;
        const won = i < advanced;
        const common = { ownerId: rep, amount: 10_000, createdAt: '2026-09-01T10:00:00.000Z', closeDate: '2026-10-01' };
        deals.push(won ? wonDeal(id, common) : lostDeal(id, common));
        changes.push(move(id, null, 'discovery', '2026-09-01T10:00:00.000Z'), move(id, 'discovery', 'demo', '2026-09-10T10:00:00.000Z'));
        if (won)
          changes.push(move(id, 'demo', 'proposal', '2026-09-20T10:00:00.000Z'), move(id, 'proposal', 'won', '2026-10-01T10:00:00.000Z'));
        else changes.push(move(id, 'demo', 'lost', '2026-09-20T10:00:00.000Z'));
      }
    }
    return input({
      deals,
      stageChanges: changes,
      owners: ['rep1', 'rep2', 'rep3', 'rep4'].map((id) => owner(id, { name: id === 'rep3' ? 'Cleo Park' : id })),
    });
  }

  it('names the rep and the stage in the review, with both rates and their samples', () => {
    const gaps = buildReport(book(), NOW).review.stageConversionGaps;
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ ownerId: 'rep3', stageId: 'demo', repSamples: 6, teamSamples: 21, gapPercent: 61 });
    expect(gaps[0]!.repRate).toBeCloseTo(1 / 6);
    expect(gaps[0]!.teamRate).toBeCloseTo(9 / 21);
    expect(gaps[0]!.message).toBe('Cleo Park: 17% of deals at Demo move on vs team 43% (6 vs 21 deals, 61% below): coach this stage');
  });

  it('says nothing of a rep below the minimum sample, however low the rate', () => {
    const gaps = buildReport(book(), NOW).review.stageConversionGaps;
    expect(gaps.some((g) => g.ownerId === 'rep4')).toBe(false);
  });
});
