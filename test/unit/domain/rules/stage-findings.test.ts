/** The stage rules' findings as a rep reads them, and the edges of "moved back" and "skipped". */
import { describe, expect, it } from 'vitest';
import { deal, input, move, STAGES, wonDeal } from '../builders.js';
import { finding, ruleIds } from '../helpers.js';

const moved = (from: string | null, to: string, stages = STAGES) =>
  input({
    stages,
    deals: [deal('d1', { stageId: to })],
    stageChanges: [
      ...(from ? [move('d1', null, 'qualify', '2026-10-01T10:00:00.000Z')] : []),
      move('d1', from, to, '2026-11-20T10:00:00.000Z'),
    ],
  });

describe('stage_skipped', () => {
  it('names the skipped stages in its message and action', () => {
    const f = finding(moved('qualify', 'proposal'), 'stage_skipped');
    expect(f?.message).toBe('Jumped from Qualify to Proposal, skipping Discovery, Demo.');
    expect(f?.suggestedAction).toBe('Confirm the exit criteria of Discovery, Demo were met, or move the deal to the right stage.');
  });

  it('flags one skipped stage, not a one-step move from a later stage', () => {
    expect(finding(moved('qualify', 'demo'), 'stage_skipped')?.evidence['skippedStages']).toEqual(['Discovery']);
    expect(finding(moved('discovery', 'demo'), 'stage_skipped')).toBeUndefined();
    expect(finding(moved('discovery', 'proposal'), 'stage_skipped')?.evidence['skippedStages']).toEqual(['Demo']);
  });

  it('does not count a reopened deal (moved out of a closed stage) as a skip', () => {
    expect(finding(moved('won', 'demo'), 'stage_skipped')).toBeUndefined();
  });

  it('names only open stages when the CRM orders a closed stage between them', () => {
    const order = ['qualify', 'lost', 'discovery', 'demo', 'proposal', 'negotiation', 'won'];
    const stages = order.map((id, i) => ({ ...STAGES.find((s) => s.id === id)!, order: i }));
    expect(finding(moved('qualify', 'demo', stages), 'stage_skipped')?.evidence['skippedStages']).toEqual(['Discovery']);
  });

  it('a first stage set from nothing is neither a skip nor a move back', () => {
    expect(ruleIds(moved(null, 'proposal'))).not.toContain('stage_skipped');
    expect(ruleIds(moved(null, 'proposal'))).not.toContain('stage_regressed');
  });
});

describe('stage_regressed', () => {
  it('tells the rep what to update', () => {
    expect(finding(moved('proposal', 'discovery'), 'stage_regressed')?.suggestedAction).toBe(
      'Note what changed with the buyer and update the close date and amount to match.',
    );
  });

  it('a move into the same stage is not a move back', () => {
    expect(finding(moved('demo', 'demo'), 'stage_regressed')).toBeUndefined();
  });
});

describe('stuck_in_stage', () => {
  it('explains a fixed limit and suggests exit criteria for the stage', () => {
    const f = finding(input({ deals: [deal('d1', { stageId: 'demo', createdAt: '2026-09-01T00:00:00.000Z' })] }), 'stuck_in_stage');
    expect(f?.message).toBe('In Demo for 86 days (fixed limit 30 days: 0 won deals through this stage, 20 needed to learn its median).');
    expect(f?.suggestedAction).toBe('Agree the exit criteria for Demo with the buyer, or move the deal back or close it.');
  });

  it('explains a learned limit from the won deals', () => {
    const deals = [deal('d1', { stageId: 'demo', stageEnteredAt: '2026-11-10T10:00:00.000Z', createdAt: '2026-11-01T10:00:00.000Z' })];
    const changes = [];
    for (let i = 0; i < 20; i++) {
      deals.push(wonDeal(`w${i}`));
      changes.push(
        move(`w${i}`, 'discovery', 'demo', '2026-06-01T10:00:00.000Z'),
        move(`w${i}`, 'demo', 'won', '2026-06-11T10:00:00.000Z'),
      );
    }
    expect(finding(input({ deals, stageChanges: changes }), 'stuck_in_stage')?.message).toBe(
      'In Demo for 16 days; won deals spent a median of 10 days there (limit 15 = 1.5 x median, 20 won deals).',
    );
  });
});
