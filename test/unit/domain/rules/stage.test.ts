import { describe, expect, it } from 'vitest';
import { deal, input, move, NOW, settings, wonDeal } from '../builders.js';
import { finding } from '../helpers.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** `n` won deals that spent `days` in Demo. */
function history(n: number, days: number) {
  const deals = [];
  const changes = [];
  for (let i = 0; i < n; i++) {
    const start = Date.parse('2026-01-01T12:00:00.000Z') + i * DAY;
    deals.push(wonDeal(`w${i}`, { closeDate: '2026-06-01' }));
    changes.push(move(`w${i}`, null, 'discovery', iso(start)));
    changes.push(move(`w${i}`, 'discovery', 'demo', iso(start + DAY)));
    changes.push(move(`w${i}`, 'demo', 'won', iso(start + DAY + days * DAY)));
  }
  return { deals, changes };
}

describe('stuck_in_stage', () => {
  const inDemoSince = (enteredIso: string, extra: { deals?: ReturnType<typeof deal>[]; changes?: ReturnType<typeof move>[] } = {}) =>
    input({
      deals: [deal('d1', { stageId: 'demo', stageEnteredAt: enteredIso }), ...(extra.deals ?? [])],
      stageChanges: extra.changes ?? [],
    });

  it('uses the fixed 30-day fallback without history: 30 days is not stuck, 31 is', () => {
    expect(finding(inDemoSince('2026-10-27T10:00:00.000Z'), 'stuck_in_stage')).toBeUndefined();
    const f = finding(inDemoSince('2026-10-26T10:00:00.000Z'), 'stuck_in_stage');
    expect(f?.evidence).toMatchObject({ daysInStage: 31, thresholdDays: 30, benchmark: 'fallback', wonSamples: 0, minSamples: 20 });
    expect(f?.message).toContain('fixed limit 30 days');
  });

  it('uses 1.5 x the median of won deals once 20 won deals passed through the stage', () => {
    const h = history(20, 10); // median 10 days -> limit 15
    expect(finding(inDemoSince('2026-11-11T10:00:00.000Z', h), 'stuck_in_stage')).toBeUndefined(); // 15 days
    const f = finding(inDemoSince('2026-11-10T10:00:00.000Z', h), 'stuck_in_stage'); // 16 days
    expect(f?.evidence).toMatchObject({ daysInStage: 16, thresholdDays: 15, benchmark: 'learned', medianDaysWon: 10, wonSamples: 20 });
    expect(f?.message).toContain('median of 10 days there (limit 15 = 1.5 x median, 20 won deals)');
  });

  it('falls back with 19 won deals', () => {
    const h = history(19, 10);
    const f = finding(inDemoSince('2026-11-10T10:00:00.000Z', h), 'stuck_in_stage');
    expect(f).toBeUndefined(); // 16 days < 30 fallback
  });

  it('honours per-stage fallback overrides', () => {
    const inp = {
      ...inDemoSince('2026-11-10T10:00:00.000Z'),
      settings: settings({ rules: { stuck_in_stage: { byStage: { demo: { fallbackDays: 10 } } } } }),
    };
    expect(finding(inp, 'stuck_in_stage')?.evidence['thresholdDays']).toBe(10);
  });

  it('without stageEnteredAt uses the last stage change, else the creation date', () => {
    const viaHistory = input({
      deals: [deal('d1', { stageId: 'demo', createdAt: '2026-01-01T00:00:00.000Z' })],
      stageChanges: [move('d1', 'discovery', 'demo', '2026-11-20T10:00:00.000Z')],
    });
    expect(finding(viaHistory, 'stuck_in_stage')).toBeUndefined();
    const noHistory = input({ deals: [deal('d1', { stageId: 'demo', createdAt: '2026-09-01T00:00:00.000Z' })] });
    expect(finding(noHistory, 'stuck_in_stage')?.evidence['daysInStage']).toBe(86);
  });
});

describe('stage_regressed and stage_skipped', () => {
  const moved = (from: string, to: string, at = '2026-11-20T10:00:00.000Z') =>
    input({
      deals: [deal('d1', { stageId: to })],
      stageChanges: [move('d1', null, 'qualify', '2026-10-01T10:00:00.000Z'), move('d1', from, to, at)],
    });

  it('flags a move back, not a move forward', () => {
    const f = finding(moved('proposal', 'discovery'), 'stage_regressed');
    expect(f?.message).toBe('Moved back from Proposal to Discovery on 2026-11-20.');
    expect(f?.evidence['stagesBack']).toBe(2);
    expect(finding(moved('discovery', 'demo'), 'stage_regressed')).toBeUndefined();
  });

  it('flags a jump over stages, naming them; a one-step move is fine', () => {
    const f = finding(moved('qualify', 'proposal'), 'stage_skipped');
    expect(f?.evidence['skippedStages']).toEqual(['Discovery', 'Demo']);
    expect(finding(moved('qualify', 'discovery'), 'stage_skipped')).toBeUndefined();
  });

  it('ignores moves older than withinDays (30)', () => {
    expect(finding(moved('proposal', 'discovery', '2026-10-26T10:00:00.000Z'), 'stage_regressed')).toBeUndefined();
    expect(finding(moved('proposal', 'discovery', '2026-10-27T10:00:00.000Z'), 'stage_regressed')).toBeDefined();
  });

  it('ignores future-dated history and deals with no history', () => {
    expect(finding(moved('proposal', 'discovery', '2026-12-20T10:00:00.000Z'), 'stage_regressed')).toBeUndefined();
    expect(finding(input({ deals: [deal('d1', { stageId: 'demo' })] }), 'stage_regressed')).toBeUndefined();
    expect(NOW).toBeGreaterThan(0);
  });
});
