/** A full walk's resume point: which phase and token a cursor continues, and whether it continues one at all. */
import { describe, expect, it } from 'vitest';
import { FullWalk } from '../../../../connectors/hubspot/walk.js';

const PHASES = ['deals', 'deals-archived'];
const NOW_MS = Date.parse('2026-11-26T12:00:00.000Z');

describe('FullWalk.from', () => {
  it('continues the phase and token a cursor names, from the instant that walk began', () => {
    const { walk, unknown } = FullWalk.from(
      PHASES,
      { stamp: '2026-11-26T10:00:00.000Z', id: '', walk: { phase: 'deals-archived', after: '300' } },
      NOW_MS,
    );
    expect([walk.resumed, unknown, walk.startedMs]).toEqual([true, null, Date.parse('2026-11-26T10:00:00.000Z')]);
    expect(walk.pending()).toEqual([{ phase: 'deals-archived', from: '300' }]);
  });

  it('begins a new walk now for a cursor without a walk, or one naming a phase it does not know', () => {
    const plain = FullWalk.from(PHASES, { stamp: '2026-11-26T10:00:00.000Z', id: '7' }, NOW_MS);
    expect([plain.walk.resumed, plain.unknown, plain.walk.startedMs]).toEqual([false, null, NOW_MS]);
    const stranger = { phase: 'deals-with-history-v0', after: '3' };
    const odd = FullWalk.from(PHASES, { stamp: '2026-11-26T10:00:00.000Z', id: '', walk: stranger }, NOW_MS);
    expect([odd.walk.resumed, odd.unknown, odd.walk.startedMs]).toEqual([false, stranger, NOW_MS]);
    expect(odd.walk.pending()).toEqual([
      { phase: 'deals', from: undefined },
      { phase: 'deals-archived', from: undefined },
    ]);
  });
});
