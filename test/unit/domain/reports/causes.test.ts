import { describe, expect, it } from 'vitest';
import { buildBook, evaluateDeals, reportContext, type EngineInput } from '../../../../src/domain/engine.js';
import { findActivityCollapses, findConcentrations, groupFindings, significantForRep } from '../../../../src/domain/reports/causes.js';
import type { TrendFlag } from '../../../../src/domain/reports/kpis.js';
import { activity, deal, input, NOW, owner } from '../builders.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();
const ctxOf = (i: EngineInput) => {
  const b = buildBook(i, NOW);
  return reportContext(b, evaluateDeals(i, NOW, { book: b }));
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

describe('activity collapse against the rep\'s own baseline', () => {
  const acts = (ownerId: string, n: number, fromDaysAgo: number, toDaysAgo: number) =>
    Array.from({ length: n }, (_, k) => activity('x', ago(fromDaysAgo - ((fromDaysAgo - toDaysAgo) * k) / n), { ownerId }));
  const i = input({
    owners: [owner('rep1'), owner('rep2'), owner('rep3')],
    deals: [deal('x', { createdAt: ago(300) })],
    activities: [
      ...acts('rep1', 30, 119, 31), ...acts('rep1', 2, 20, 10), // 30 -> 2 per 30 days: collapse
      ...acts('rep2', 10, 119, 31), // baseline of 10 is too small to judge, even with nothing since
      ...acts('rep3', 30, 119, 31), ...acts('rep3', 8, 25, 2), // 10 -> 8: normal
    ],
  });

  it('flags only a rep whose baseline is large enough and whose recent count fell below 35 % of it', () => {
    const c = findActivityCollapses(ctxOf(i));
    expect(c.map((x) => x.ownerId)).toEqual(['rep1']);
    expect(c[0]).toMatchObject({ recent: 2, baselinePer30: 10, baselineSamples: 30, ratio: 0.2 });
    expect(c[0]!.message).toContain('2 activities in the last 30 days against 10 per 30 days before');
  });
});

describe('trend significance against the rep\'s own weekly history', () => {
  const flag: TrendFlag = { kpi: 'activityCount', current: 0, previous: 0, changePercent: -50, bandPercent: 20, direction: 'down', concern: true, message: '' };
  const today = Math.floor(NOW / DAY);
  const period = { startDay: today - 29, endDay: today + 1 };
  /** `perWeek` activities every week for 13 weeks before the period, alternating +-1, then `inPeriod` per week. */
  const book = (inPeriod: number) => {
    const activities = [];
    for (let w = 0; w < 13; w++) for (let k = 0; k < 5 + (w % 2 === 0 ? 1 : -1); k++) activities.push(activity('x', ago(30 + 7 * w + (k % 7)), { ownerId: 'rep1' }));
    for (let k = 0; k < inPeriod * 4; k++) activities.push(activity('x', ago(1 + (k % 28)), { ownerId: 'rep1' }));
    return ctxOf(input({ deals: [deal('x', { createdAt: ago(300) })], activities }));
  };

  it('stays quiet for a change within the rep\'s usual weeks and speaks for one far outside them', () => {
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
