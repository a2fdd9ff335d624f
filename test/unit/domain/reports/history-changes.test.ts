import { describe, expect, it } from 'vitest';
import { indexInput, evaluateDeals, reportContext, waterfallBalances, type EngineInput } from '../../../../src/domain/engine.js';
import { computeHistoryChanges } from '../../../../src/domain/reports/history-changes.js';
import type { DealFieldChange } from '../../../../src/domain/model/index.js';
import { closeDateChange, CONN, deal, input, move, NOW, owner, snapshot, wonDeal, lostDeal } from '../builders.js';

const amountChange = (dealId: string, oldValue: string, newValue: string, at: string): DealFieldChange => ({
  connectionId: CONN,
  dealId,
  field: 'amount',
  oldValue,
  newValue,
  at,
});
const created = '2026-10-01T10:00:00.000Z';

/** Q4 2026 pipeline between 2026-11-01 and today (2026-11-26), from history only: no snapshot at all. */
function book(): EngineInput {
  return input({
    owners: [owner('rep1'), owner('rep2')],
    deals: [
      deal('a', { stageId: 'demo', amount: 12_000, closeDate: '2026-12-15', createdAt: created }), // increased 2,000
      deal('b', { stageId: 'demo', amount: 4_000, closeDate: '2026-12-15', createdAt: created }), // decreased 1,000
      wonDeal('c', { amount: 7_000, closeDate: '2026-11-20', createdAt: created }), // won
      lostDeal('d', { amount: 3_000, closeDate: '2026-12-01', createdAt: created }), // lost
      deal('e', { stageId: 'demo', amount: 6_000, closeDate: '2027-02-01', createdAt: created }), // pushed out of the quarter
      deal('f', { ownerId: 'rep2', stageId: 'demo', amount: 8_000, closeDate: '2026-12-10', createdAt: created }), // pulled in
      // new
      deal('g', { ownerId: 'rep2', stageId: 'qualify', amount: 9_000, closeDate: '2026-12-20', createdAt: '2026-11-20T10:00:00.000Z' }),
      wonDeal('h', { amount: 5_000, closeDate: '2026-10-20', createdAt: created }), // won before the period: in neither end
    ],
    stageChanges: [
      move('c', null, 'demo', created),
      move('c', 'demo', 'won', '2026-11-20T10:00:00.000Z'),
      move('d', null, 'demo', created),
      move('d', 'demo', 'lost', '2026-11-18T10:00:00.000Z'),
      move('h', null, 'demo', created),
      move('h', 'demo', 'won', '2026-10-20T10:00:00.000Z'),
    ],
    fieldChanges: [
      amountChange('a', '10000', '12000', '2026-11-10T10:00:00.000Z'),
      amountChange('b', '5000', '4000', '2026-11-12T10:00:00.000Z'),
      closeDateChange('e', '2026-12-10', '2027-02-01', '2026-11-15T10:00:00.000Z'),
      closeDateChange('f', '2027-01-10', '2026-12-10', '2026-11-16T10:00:00.000Z'),
    ],
  });
}

function changes(i: EngineInput) {
  const b = indexInput(i, NOW);
  return computeHistoryChanges(reportContext(b, evaluateDeals(i, NOW, { indexed: b })), { from: '2026-11-01', to: '2026-11-26' });
}

describe('pipeline changes from history', () => {
  it('rebuilds every bucket from stage, amount and close-date history alone, and adds up', () => {
    const c = changes(book());
    expect(c.source).toBe('history');
    expect(c.snapshotCheck).toEqual({ available: false, agrees: null, differences: [] });
    expect(c.waterfalls).toEqual([
      {
        currency: 'USD',
        start: 31_000,
        new: 9_000,
        pulledIn: 8_000,
        increased: 2_000,
        won: 7_000,
        lost: 3_000,
        decreased: 1_000,
        pushedOut: 6_000,
        end: 33_000,
      },
    ]);
    expect(waterfallBalances(c.waterfalls[0]!)).toBe(true);
    expect(Object.fromEntries(c.changes.map((x) => [x.dealId, x.kind]))).toEqual({
      a: 'increased',
      b: 'decreased',
      c: 'won',
      d: 'lost',
      e: 'pushed_out',
      f: 'pulled_in',
      g: 'new',
    });
  });

  it('adds up per rep', () => {
    const c = changes(book());
    const rep2 = c.byRep.find((r) => r.ownerId === 'rep2')!.waterfalls[0]!;
    expect(rep2).toMatchObject({ start: 0, new: 9_000, pulledIn: 8_000, end: 17_000 });
    for (const r of c.byRep) for (const w of r.waterfalls) expect(waterfallBalances(w)).toBe(true);
  });

  it('is confirmed by snapshots of both days, and names the buckets where they disagree', () => {
    const i = book();
    const s = '2026-11-01';
    const e = '2026-11-26';
    const snaps = [
      ...['a', 'b', 'c', 'd'].map((id) =>
        snapshot(id, s, { stageId: 'demo', amount: { a: 10_000, b: 5_000, c: 7_000, d: 3_000 }[id]!, closeDate: '2026-12-15' }),
      ),
      snapshot('e', s, { stageId: 'demo', amount: 6_000, closeDate: '2026-12-10' }),
      snapshot('f', s, { ownerId: 'rep2', stageId: 'demo', amount: 8_000, closeDate: '2027-01-10' }),
      snapshot('a', e, { stageId: 'demo', amount: 12_000, closeDate: '2026-12-15' }),
      snapshot('b', e, { stageId: 'demo', amount: 4_000, closeDate: '2026-12-15' }),
      snapshot('c', e, { stageId: 'won', amount: 7_000, isClosed: true, isWon: true }),
      snapshot('d', e, { stageId: 'lost', amount: 3_000, isClosed: true }),
      snapshot('e', e, { stageId: 'demo', amount: 6_000, closeDate: '2027-02-01' }),
      snapshot('f', e, { ownerId: 'rep2', stageId: 'demo', amount: 8_000, closeDate: '2026-12-10' }),
      snapshot('g', e, { ownerId: 'rep2', amount: 9_000, closeDate: '2026-12-20' }),
    ];
    expect(changes({ ...i, snapshots: snaps }).snapshotCheck).toEqual({ available: true, agrees: true, differences: [] });
    const off = snaps.map((x) => (x.dealId === 'g' ? { ...x, amount: 9_500 } : x));
    expect(changes({ ...i, snapshots: off }).snapshotCheck.differences).toEqual([
      { currency: 'USD', bucket: 'new', history: 9_000, snapshots: 9_500 },
      { currency: 'USD', bucket: 'end', history: 33_000, snapshots: 33_500 },
    ]);
  });
});
