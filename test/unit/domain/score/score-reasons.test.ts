/**
 * The score as a manager reads it: each component's detail, the signed reasons in their order,
 * and the suggested action, pinned whole for deals that take each branch of the score.
 */
import { describe, expect, it } from 'vitest';
import { closeRealismScore, engagementScore, recencyScore, velocityScore } from '../../../../src/domain/score/score.js';
import { evaluateDeals } from '../../../../src/domain/engine.js';
import type { DealScore } from '../../../../src/domain/model/index.js';
import { activity, closeDateChange, deal, input, move, NOW, wonDeal } from '../builders.js';

type Inp = ReturnType<typeof input>;
const scoreOf = (inp: Inp, id = 'd1', now = NOW): DealScore => {
  const s = evaluateDeals(inp, now).scoreByDeal.get(id);
  if (!s) throw new Error('no score');
  return s;
};
/** Component name -> `score | detail`, as the morning review shows it. */
const details = (s: DealScore) => Object.fromEntries(s.components.map((c) => [c.name, `${c.score} | ${c.detail}`]));
const reasons = (s: DealScore) => s.reasons.map((r) => `${r.impact > 0 ? '+' : ''}${r.impact} ${r.text}`);
const day = (iso: string) => `${iso}T10:00:00.000Z`;

describe('component ramps at their edges', () => {
  it('clamps below 0 and above 100 and keeps the exact ramp in between', () => {
    expect(recencyScore(-1, 14)).toBe(100);
    expect(recencyScore(27, 14)).toBeCloseTo(3.571, 3);
    expect(recencyScore(29, 14)).toBe(0);
    expect(velocityScore(0, 30)).toBe(100);
    expect(velocityScore(16, 30)).toBeCloseTo(96.667, 3);
    expect(velocityScore(44, 30)).toBeCloseTo(3.333, 3);
    expect(closeRealismScore(false, false, 3, true)).toBe(0);
  });

  it('engagement counts every touch and gives the two-way bonus only when both directions were seen', () => {
    expect(engagementScore(0, 0, 2, false)).toBe(20);
    expect(engagementScore(1, 1, 1, false)).toBe(50);
    expect(engagementScore(2, 0, 0, false)).toBe(20);
    expect(engagementScore(0, 2, 0, false)).toBe(20);
    expect(engagementScore(0, 0, 0, true)).toBe(20);
    expect(engagementScore(5, 5, 5, false)).toBe(80);
  });
});

describe('score reasons and details', () => {
  it('a healthy two-way deal with a meeting booked', () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { stageId: 'demo', stageEnteredAt: day('2026-11-20'), createdAt: day('2026-11-01') })],
        activities: [
          activity('d1', day('2026-11-25'), { direction: 'inbound', type: 'email' }),
          activity('d1', day('2026-11-24')),
          activity('d1', day('2026-11-23'), { direction: 'unknown', type: 'note' }),
          activity('d1', day('2026-12-02'), { type: 'meeting', completed: false }),
        ],
      }),
    );
    expect(details(s)).toMatchInlineSnapshot(`
      {
        "activity_recency": "96.4 | last activity 1 days ago (stale at 14)",
        "close_date_realism": "100 | 0 pushes in 90 days",
        "engagement": "70 | 3 touches in 30 days (1 inbound, 1 outbound), next activity scheduled",
        "hygiene": "100 | no compliance findings",
        "stage_velocity": "100 | 6 days in stage; fixed limit 30 (default benchmark, 0 of 20 won deals)",
      }
    `);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+13.9 Last activity 1 day ago",
        "+10 6 days in stage (limit 30)",
        "+7.5 Close date holding",
      ]
    `);
    expect(s.suggestedAction).toBeNull();
    expect(s.usedDefaultBenchmarks).toBe(true);
  });

  it('one-way engagement from the rep, with an open task as the next step', () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { stageId: 'demo', stageEnteredAt: day('2026-11-01'), createdAt: day('2026-10-01') })],
        activities: [
          activity('d1', day('2026-11-16')),
          activity('d1', day('2026-11-12')),
          activity('d1', day('2026-11-30'), { type: 'task', completed: false }),
        ],
      }),
    );
    expect(details(s)).toMatchInlineSnapshot(`
      {
        "activity_recency": "64.3 | last activity 10 days ago (stale at 14)",
        "close_date_realism": "100 | 0 pushes in 90 days",
        "engagement": "40 | 2 touches in 30 days (0 inbound, 2 outbound), next activity scheduled",
        "hygiene": "100 | no compliance findings",
        "stage_velocity": "66.7 | 25 days in stage; fixed limit 30 (default benchmark, 0 of 20 won deals)",
      }
    `);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+7.5 Close date holding",
        "+7.5 CRM record complete",
        "+4.3 Last activity 10 days ago",
        "-2 One-way engagement: 2 touches, 0 from the buyer",
      ]
    `);
    expect(s.suggestedAction).toMatchInlineSnapshot(`"Get a reply from the buyer: propose a meeting with a clear agenda."`);
  });

  it('one-way engagement from the buyer only is not two-way', () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { createdAt: day('2026-11-01') })],
        activities: [activity('d1', day('2026-11-20'), { direction: 'inbound', type: 'email' })],
      }),
    );
    expect(details(s)['engagement']).toMatchInlineSnapshot(`"10 | 1 touches in 30 days (1 inbound, 0 outbound), nothing scheduled"`);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+8.6 Last activity 6 days ago",
        "+7.5 Close date holding",
        "+7.5 CRM record complete",
        "-8 One-way engagement: 1 touches, 1 from the buyer",
      ]
    `);
  });

  it('no activity at all, a passed close date and compliance findings', () => {
    const s = scoreOf(
      input({
        deals: [
          deal('d1', { stageId: 'proposal', createdAt: day('2026-09-01'), closeDate: '2026-11-01', contactCount: 1, nextStep: null }),
        ],
      }),
    );
    expect(details(s)).toMatchInlineSnapshot(`
      {
        "activity_recency": "0 | no activity since creation 86 days ago (stale at 14)",
        "close_date_realism": "0 | close date 1 Nov 2026 passed",
        "engagement": "0 | 0 touches in 30 days (0 inbound, 0 outbound), nothing scheduled",
        "hygiene": "35 | No next step, Nothing scheduled, Single-threaded",
        "stage_velocity": "0 | 86 days in stage; fixed limit 30 (default benchmark, 0 of 20 won deals)",
      }
    `);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "-67 6 open warnings, 2 urgent",
        "-15 No activity since creation 86 days ago",
        "-10 No touches in 30 days",
      ]
    `);
    expect(s.suggestedAction).toMatchInlineSnapshot(
      `"Reach the buyer this week and log the touch; if the deal is dead, close it as lost."`,
    );
  });

  it('a close date that is today has not passed', () => {
    const s = scoreOf(input({ deals: [deal('d1', { closeDate: '2026-11-26' })] }));
    expect(details(s)['close_date_realism']).toMatchInlineSnapshot(`"100 | 0 pushes in 90 days"`);
  });

  it('counts only later moves inside the push window, up to now, when no push finding was raised', () => {
    const window = 90;
    const since = NOW - window * 86_400_000;
    const s = scoreOf(
      input({
        deals: [deal('d1', { closeDate: '2026-12-20' })],
        fieldChanges: [
          closeDateChange('d1', '2026-12-10', '2026-12-20', new Date(since).toISOString()), // on the window's first instant: counts
          closeDateChange('d1', '2026-12-01', '2026-12-10', new Date(since - 1).toISOString()), // just before it
          closeDateChange('d1', '2026-12-20', '2026-12-15', day('2026-11-20')), // pulled in
          closeDateChange('d1', '2026-12-20', '2026-12-20', day('2026-11-21')), // unchanged
          closeDateChange('d1', '2026-12-20', '2026-12-28', new Date(NOW + 1).toISOString()), // after now
        ],
      }),
    );
    expect(details(s)['close_date_realism']).toMatchInlineSnapshot(`"75 | 1 pushes in 90 days"`);
  });

  it('a push at exactly now counts', () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { closeDate: '2026-12-20', createdAt: day('2026-09-01') })],
        fieldChanges: [closeDateChange('d1', '2026-12-10', '2026-12-20', new Date(NOW).toISOString())],
      }),
    );
    expect(details(s)['close_date_realism']).toMatchInlineSnapshot(`"75 | 1 pushes in 90 days"`);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+7.5 CRM record complete",
        "+3.8 Close date pushed 1 times recently",
        "-28 2 open warnings, 1 urgent",
        "-15 No activity since creation 86 days ago",
        "-10 No touches in 30 days",
      ]
    `);
  });

  it('takes pushes and the quarter crossing from the push finding', () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { closeDate: '2027-01-20' })],
        fieldChanges: [closeDateChange('d1', '2026-12-10', '2027-01-20', day('2026-11-20'))],
      }),
    );
    expect(details(s)['close_date_realism']).toMatchInlineSnapshot(`"50 | 1 pushes in 90 days, pushed into a later quarter"`);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+10 6 days in stage (limit 30)",
        "+8.6 No activity since creation 6 days ago",
        "+7.5 CRM record complete",
        "-10 No touches in 30 days",
        "-8 1 open warning",
      ]
    `);
    expect(s.suggestedAction).toMatchInlineSnapshot(
      `"Ask the buyer for the real decision date and what must happen before it; commit only to that."`,
    );
  });

  it('a learned stage limit names its median and sample', () => {
    const deals = [deal('d1', { stageId: 'demo', stageEnteredAt: day('2026-11-10'), createdAt: day('2026-11-01') })];
    const changes = [];
    for (let i = 0; i < 20; i++) {
      deals.push(wonDeal(`w${i}`));
      changes.push(
        move(`w${i}`, 'discovery', 'demo', '2026-06-01T10:00:00.000Z'),
        move(`w${i}`, 'demo', 'won', '2026-06-11T10:00:00.000Z'),
      );
    }
    const s = scoreOf(input({ deals, stageChanges: changes, activities: [activity('d1', day('2026-11-25'))] }));
    expect(details(s)['stage_velocity']).toMatchInlineSnapshot(`"43.3 | 16 days in stage; limit 15 (1.5 x median 10 of 20 won deals)"`);
    expect(reasons(s)).toMatchInlineSnapshot(`
      [
        "+13.9 Last activity 1 day ago",
        "+7.5 Close date holding",
        "-16 2 open warnings",
        "-8 One-way engagement: 1 touches, 0 from the buyer",
        "-3.8 No open task or future meeting on a deal at 40% probability (required from 40%).",
      ]
    `);
    expect(s.usedDefaultBenchmarks).toBe(false);
  });

  it('without findings, suggests the weakest component when it is below 70', () => {
    const inp = input({ deals: [deal('d1', { createdAt: day('2026-11-01') })], activities: [activity('d1', day('2026-11-25'))] });
    expect(evaluateDeals(inp, NOW).findings).toEqual([]);
    const s = scoreOf(inp);
    expect(details(s)['engagement']).toMatchInlineSnapshot(`"10 | 1 touches in 30 days (0 inbound, 1 outbound), nothing scheduled"`);
    expect(s.suggestedAction).toBe('Get a reply from the buyer: propose a meeting with a clear agenda.');
  });

  it("a finding's action wins over the weakest component", () => {
    const s = scoreOf(
      input({
        deals: [deal('d1', { stageId: 'demo', stageEnteredAt: day('2026-10-20'), createdAt: day('2026-10-01') })],
        activities: [
          activity('d1', day('2026-11-25'), { direction: 'inbound' }),
          activity('d1', day('2026-11-24')),
          activity('d1', day('2026-12-01'), { type: 'meeting', completed: false }),
        ],
      }),
    );
    expect(details(s)).toMatchInlineSnapshot(`
      {
        "activity_recency": "96.4 | last activity 1 days ago (stale at 14)",
        "close_date_realism": "100 | 0 pushes in 90 days",
        "engagement": "60 | 2 touches in 30 days (1 inbound, 1 outbound), next activity scheduled",
        "hygiene": "100 | no compliance findings",
        "stage_velocity": "26.7 | 37 days in stage; fixed limit 30 (default benchmark, 0 of 20 won deals)",
      }
    `);
    expect(s.suggestedAction).toMatchInlineSnapshot(
      `"Agree the exit criteria for Demo with the buyer, or move the deal back or close it."`,
    );
  });
});
