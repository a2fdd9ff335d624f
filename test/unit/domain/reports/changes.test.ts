import { describe, expect, it } from 'vitest';
import { buildReport, waterfallBalances } from '../../../../src/domain/engine.js';
import { input, NOW, settings, snapshot } from '../builders.js';

const S = '2026-11-19';
const E = '2026-11-26';
const snaps = [
  snapshot('a', S, { amount: 10_000 }),
  snapshot('a', E, { amount: 12_000 }), // increased 2,000
  snapshot('b', S, { amount: 5_000 }),
  snapshot('b', E, { amount: 4_000 }), // decreased 1,000
  snapshot('c', S, { amount: 7_000 }),
  snapshot('c', E, { amount: 7_500, isClosed: true, isWon: true }), // won 7,000
  snapshot('d', S, { amount: 3_000 }),
  snapshot('d', E, { amount: 3_000, isClosed: true }), // lost 3,000
  snapshot('e', S, { amount: 6_000 }),
  snapshot('e', E, { amount: 6_000, closeDate: '2027-02-01' }), // pushed out
  snapshot('f', S, { ownerId: 'rep2', amount: 8_000, closeDate: '2027-01-10' }),
  snapshot('f', E, { ownerId: 'rep2', amount: 8_000, closeDate: '2026-12-10' }), // pulled in
  snapshot('g', E, { ownerId: 'rep2', amount: 9_000 }), // new
  snapshot('h', S, { amount: 2_000 }), // deleted: lost
  snapshot('z', '2026-11-01', { amount: 1_000 }), // an older day's set is not the start
];

describe('pipeline changes waterfall', () => {
  const c = buildReport(input({ snapshots: snaps }), NOW).changes;

  it('has every bucket worked out by hand and adds up', () => {
    expect(c.fromDay).toBe(S);
    expect(c.closeWithin?.label).toBe('FY2026-Q4');
    expect(c.waterfalls).toEqual([
      {
        currency: 'USD',
        start: 33_000,
        new: 9_000,
        pulledIn: 8_000,
        increased: 2_000,
        won: 7_000,
        lost: 5_000,
        decreased: 1_000,
        pushedOut: 6_000,
        end: 33_000,
      },
    ]);
    expect(waterfallBalances(c.waterfalls[0]!)).toBe(true);
  });

  it('counts a deal missing from the end set as lost, unless its last snapshot shows it won', () => {
    expect(c.changes.find((x) => x.dealId === 'h')).toMatchObject({ kind: 'lost', delta: -2_000 });
    const wonThenGone = [snapshot('a', S), snapshot('a', '2026-11-22', { isClosed: true, isWon: true }), snapshot('b', E)];
    const w = buildReport(input({ snapshots: wonThenGone }), NOW).changes;
    expect(w.changes.find((x) => x.dealId === 'a')).toMatchObject({ kind: 'won', delta: -10_000 });
  });

  it('splits per rep, each adding up', () => {
    const rep2 = c.byRep.find((r) => r.ownerId === 'rep2')!.waterfalls[0]!;
    expect(rep2).toMatchObject({ start: 0, new: 9_000, pulledIn: 8_000, end: 17_000 });
    for (const r of c.byRep) for (const w of r.waterfalls) expect(waterfallBalances(w)).toBe(true);
  });

  it('keeps currencies apart without rates and converts with them', () => {
    const mixed = [
      snapshot('x', S, { amount: 100, currency: 'EUR' }),
      snapshot('x', E, { amount: 150, currency: 'EUR' }),
      snapshot('y', E, { amount: 10 }),
    ];
    const apart = buildReport(input({ snapshots: mixed }), NOW).changes.waterfalls;
    expect(apart.map((w) => [w.currency, w.start, w.end])).toEqual([
      ['EUR', 100, 150],
      ['USD', 0, 10],
    ]);
    const converted = buildReport(input({ snapshots: mixed, settings: settings({ exchangeRates: { EUR: 2 } }) }), NOW).changes.waterfalls;
    expect(converted).toEqual([
      { currency: 'USD', start: 200, new: 10, pulledIn: 0, increased: 100, won: 0, lost: 0, decreased: 0, pushedOut: 0, end: 310 },
    ]);
  });
});
