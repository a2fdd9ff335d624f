import { describe, expect, it } from 'vitest';
import { waterfallBars } from '../../../src/server/pages/charts.js';

describe('waterfall bars', () => {
  it('float each step on the running total: increases start there, decreases end there', () => {
    // 100 + 30 new + 10 pulled in + 5 increased - 40 won - 20 lost - 5 decreased - 15 pushed out = 65
    const bars = waterfallBars({
      currency: 'USD',
      start: 100,
      new: 30,
      pulledIn: 10,
      increased: 5,
      won: 40,
      lost: 20,
      decreased: 5,
      pushedOut: 15,
      end: 65,
    });
    expect(bars.map((b) => [b.step, b.base, b.value])).toEqual([
      ['Start', 0, 100],
      ['New', 100, 30],
      ['Pulled in', 130, 10],
      ['Increased', 140, 5],
      ['Won', 105, 40],
      ['Lost', 85, 20],
      ['Decreased', 80, 5],
      ['Pushed out', 65, 15],
      ['End', 0, 65],
    ]);
  });
});
