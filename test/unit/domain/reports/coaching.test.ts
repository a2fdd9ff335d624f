import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../../src/domain/engine.js';
import type { Activity, Deal, StageChange } from '../../../../src/domain/model/index.js';
import { activity, deal, input, lostDeal, move, NOW, owner, settings, wonDeal } from '../builders.js';

/**
 * A team of three, all deals 10,000 USD created 2026-09-01 (inside the 180-day look-back):
 * - rep1 (balanced): 6 deals reach Demo, 4 advance to Proposal and win, 2 are lost at Demo; 20 activities;
 * - rep2 (effort gap): same outcomes as rep1, but only 5 activities in 30 days;
 * - rep3 (skill gap at Demo): 6 deals reach Demo, 1 advances and wins, 5 are lost at Demo; 20 activities.
 * Team at Demo: 9 advanced of 18 = 50%; rep3 17% is 67% below.
 */
function team() {
  const deals: Deal[] = [];
  const changes: StageChange[] = [];
  const activities: Activity[] = [];
  const outcomes: Record<string, { advanced: number; lost: number; leadSource: string }> = {
    rep1: { advanced: 4, lost: 2, leadSource: 'web' },
    rep2: { advanced: 4, lost: 2, leadSource: 'web' },
    rep3: { advanced: 1, lost: 5, leadSource: 'event' },
  };
  for (const [rep, o] of Object.entries(outcomes)) {
    for (let i = 0; i < o.advanced + o.lost; i++) {
      const id = `${rep}-${i}`;
      const won = i < o.advanced;
      const common = {
        ownerId: rep,
        amount: 10_000,
        createdAt: '2026-09-01T10:00:00.000Z',
        closeDate: '2026-10-01',
        leadSource: o.leadSource,
      };
      deals.push(won ? wonDeal(id, common) : lostDeal(id, common));
      changes.push(move(id, null, 'discovery', '2026-09-01T10:00:00.000Z'), move(id, 'discovery', 'demo', '2026-09-10T10:00:00.000Z'));
      if (won)
        changes.push(move(id, 'demo', 'proposal', '2026-09-20T10:00:00.000Z'), move(id, 'proposal', 'won', '2026-10-01T10:00:00.000Z'));
      else changes.push(move(id, 'demo', 'lost', '2026-09-20T10:00:00.000Z'));
    }
  }
  const acts = { rep1: 20, rep2: 5, rep3: 20 };
  for (const [rep, n] of Object.entries(acts)) {
    for (let i = 0; i < n; i++) {
      // rep1: 6 meetings and 14 calls
      const type = rep === 'rep1' && i < 6 ? 'meeting' : 'call';
      activities.push(activity(`${rep}-0`, `2026-11-${String(10 + (i % 15)).padStart(2, '0')}T10:00:00.000Z`, { ownerId: rep, type }));
    }
  }
  // open deals (created before the look-back, so they do not change the rates): rep1 4, rep3 2, rep2 none
  for (let i = 0; i < 4; i++)
    deals.push(
      deal(`open1-${i}`, {
        ownerId: 'rep1',
        accountId: 'accA',
        accountName: 'Alpha',
        createdAt: '2026-01-01T10:00:00.000Z',
        stageId: 'demo',
      }),
    );
  for (let i = 0; i < 2; i++)
    deals.push(deal(`open3-${i}`, { ownerId: 'rep3', accountId: 'accB', accountName: 'Beta', createdAt: '2026-01-01T10:00:00.000Z' }));
  return input({
    deals,
    stageChanges: changes,
    activities,
    owners: [owner('rep1', { team: 'east' }), owner('rep2', { team: 'east' }), owner('rep3', { team: 'east' })],
    settings: settings({ quotas: { rep1: 100_000 } }),
  });
}

describe('coaching', () => {
  const c = buildReport(team(), NOW).coaching;
  const rep = (id: string) => c.reps.find((r) => r.ownerId === id)!;

  it('tells a balanced rep from an effort gap and a skill gap with a named stage', () => {
    expect(rep('rep1').signal).toBe('balanced');
    expect(rep('rep2')).toMatchObject({
      signal: 'effort_gap',
      activities30d: 5,
      teamMedianActivities30d: 20,
      effortGap: true,
      skillGap: null,
    });
    expect(rep('rep2').message).toContain('5 activities in 30 days vs team median 20 (75% below; threshold 30%)');
    const gap = rep('rep3').skillGap!;
    expect(gap).toMatchObject({ stageId: 'demo', label: 'Demo', repSamples: 6, teamSamples: 18, gapPercent: 67 });
    expect(gap.repRate).toBeCloseTo(1 / 6);
    expect(gap.teamRate).toBe(0.5);
    expect(rep('rep3').signal).toBe('skill_gap');
    expect(rep('rep3').message).toContain('Skill gap at Demo: 17% advance vs team 50%');
    // The benchmark behind it, stage for stage beside the rep's own rates (the reps page charts both).
    const team = rep('rep3').teamStageRates;
    expect(team.map((r) => r.stageId)).toEqual(rep('rep3').stageRates.map((r) => r.stageId));
    expect(team.find((r) => r.stageId === 'demo')).toMatchObject({ samples: 18, rate: 0.5 });
  });

  it('does not name a skill gap below the sample threshold', () => {
    const inp = team();
    const strict = { ...inp, settings: settings({ rules: { reports: { skillGapMinSamples: 7 } } }) };
    expect(buildReport(strict, NOW).coaching.reps.find((r) => r.ownerId === 'rep3')!.skillGap).toBeNull();
  });

  it('computes the reverse funnel for next week by hand', () => {
    // rep1: quota 100,000, won this quarter 4 x 10,000 = 40,000 (closed 2026-10-01) -> remaining 60,000;
    // 36 days left in Q4 -> 6 weeks -> 10,000 a week. Avg deal 10,000 (team: rep1 has 4 wins < 5) -> 1 win.
    // Win rate 4/6 (rep, 6 closed) -> 1.5 -> 2 new opportunities; proposal win rate 1 (team, 9 of 9) -> 1 proposal;
    // meetings per new opportunity 6/6 = 1 (rep) -> 1.5 -> 2 meetings.
    const g = c.goals.find((x) => x.ownerId === 'rep1')!;
    expect(g.weeklyTarget).toBe(10_000);
    expect(g.targetBasis).toContain('remaining quota 60000 USD (quota 100000 - won 40000) over 6 weeks left in FY2026-Q4');
    expect(g.goals).toEqual({ wins: 1, proposals: 1, newOpportunities: 2, meetings: 2 });
    expect(g.arithmetic).toEqual([
      '10,000 USD a week / average won deal 10,000 = 1 wins',
      '1 wins / win rate 0.667 = 1.5 new opportunities',
      '1.5 opportunities x 1 meetings each = 1.5 meetings',
      '1 wins / proposal win rate 1 = 1 proposals',
    ]);
    expect(g.assumptions).toEqual([
      { name: 'avgDealSize', value: 10_000, samples: 9, source: 'team' },
      { name: 'winRate', value: 0.667, samples: 6, source: 'rep' },
      { name: 'proposalWinRate', value: 1, samples: 9, source: 'team' },
      { name: 'meetingsPerNewOpportunity', value: 1, samples: 6, source: 'rep' },
    ]);
  });

  it('uses the team average when no quota is configured', () => {
    const g = c.goals.find((x) => x.ownerId === 'rep3')!;
    // won in the last 180 days: 9 x 10,000 over 180/7 weeks and 3 reps = 1,166.67 a week
    expect(g.weeklyTarget).toBeCloseTo(1166.67, 2);
    expect(g.targetBasis).toContain('team average');
  });

  it('flags workload against the team median (1.5x overloaded, 0.5x starved)', () => {
    expect(c.workload.teamMedianOpenDeals).toBe(2);
    expect(c.workload.reps.map((r) => [r.ownerId, r.openDeals, r.dealsRatio, r.flag])).toEqual([
      ['rep1', 4, 2, 'overloaded'],
      ['rep2', 0, 0, 'starved'],
      ['rep3', 2, 1, null],
    ]);
  });

  it('reports lead quality by source with sample sizes', () => {
    expect(c.leadSources.map((s) => [s.leadSource, s.created, s.won, s.lost])).toEqual([
      ['web', 12, 8, 4],
      ['event', 6, 1, 5],
    ]);
    expect(c.leadSources[1]!.winRate).toBeCloseTo(1 / 6);
    expect(c.leadSources[0]!.avgWonSize).toEqual([{ currency: 'USD', amount: 10_000 }]);
    expect(c.leadSources.map((x) => x.label)).toEqual(['Web', 'Event']);
  });

  it('counts a deal as qualified only once it moved past the stage every deal starts in', () => {
    // the entry stage (Qualify, 0.1) meets a 0.1 threshold: without the entry-stage rule every deal would count
    const created = '2026-09-01T10:00:00.000Z';
    const deals = [
      lostDeal('q1', { createdAt: created, leadSource: 'PAID_SEARCH' }),
      lostDeal('q2', { createdAt: created, leadSource: 'PAID_SEARCH' }),
      lostDeal('q3', { createdAt: created, leadSource: 'PAID_SEARCH' }),
      lostDeal('q4', { createdAt: created, leadSource: 'PAID_SEARCH' }),
    ];
    const moves = [
      ...['q1', 'q2', 'q3', 'q4'].map((id) => move(id, null, 'qualify', created)),
      move('q1', 'qualify', 'discovery', '2026-09-05T10:00:00.000Z'),
      ...['q1', 'q2', 'q3', 'q4'].map((id) => move(id, id === 'q1' ? 'discovery' : 'qualify', 'lost', '2026-09-20T10:00:00.000Z')),
    ];
    const r = buildReport(
      input({ deals, stageChanges: moves, settings: settings({ rules: { reports: { qualifiedFromProbability: 0.1 } } }) }),
      NOW,
    ).coaching;
    expect(r.leadSources).toHaveLength(1);
    expect(r.leadSources[0]).toMatchObject({ leadSource: 'PAID_SEARCH', label: 'Paid search', created: 4, qualifiedRate: 0.25 });
  });

  it('lists key accounts (top 10% by open pipeline) with the health of every open deal', () => {
    expect(c.keyAccounts).toHaveLength(1);
    expect(c.keyAccounts[0]).toMatchObject({ accountId: 'accA', source: 'top_share', openPipeline: [{ currency: 'USD', amount: 40_000 }] });
    expect(c.keyAccounts[0]!.deals).toHaveLength(4);
    expect(c.keyAccounts[0]!.deals.every((d) => typeof d.score === 'number' && d.band !== null)).toBe(true);
    const configured = buildReport({ ...team(), settings: settings({ keyAccounts: ['accB'] }) }, NOW).coaching.keyAccounts;
    expect(configured.map((a) => [a.accountId, a.source, a.deals.length])).toEqual([['accB', 'configured', 2]]);
  });

  it('adds the accounts the CRM flags as target accounts to the configured ones, top share only when there are none', () => {
    // A hand-made book: accB's open deals, and a closed deal of accC (no open pipeline), are flagged target accounts.
    const book = team();
    const flag = (d: Deal): Deal =>
      d.accountId === 'accB' ? { ...d, accountIsTarget: true } : d.accountId === 'accA' ? { ...d, accountIsTarget: false } : d;
    const closedTarget = wonDeal('target-won', {
      ownerId: 'rep1',
      accountId: 'accC',
      accountName: 'Gamma',
      accountIsTarget: true,
      createdAt: '2026-01-01T10:00:00.000Z',
      closeDate: '2026-03-01',
    });
    const flagged = { ...book, deals: [...book.deals.map(flag), closedTarget] };
    const fromCrm = buildReport(flagged, NOW).coaching.keyAccounts;
    expect(fromCrm.map((a) => [a.accountId, a.accountName, a.source, a.deals.length])).toEqual([
      ['accB', 'Beta', 'crm_target', 2],
      ['accC', 'Gamma', 'crm_target', 0],
    ]);
    const both = buildReport({ ...flagged, settings: settings({ keyAccounts: ['accA', 'accB'] }) }, NOW).coaching.keyAccounts;
    expect(both.map((a) => [a.accountId, a.source])).toEqual([
      ['accA', 'configured'],
      ['accB', 'configured'],
      ['accC', 'crm_target'],
    ]);
  });
});
