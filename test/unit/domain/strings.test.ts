import { describe, expect, it } from 'vitest';
import { groupThousands } from '../../../src/domain/strings.js';

describe('groupThousands', () => {
  it('prints what toLocaleString("en-US") prints for the rounded number', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 123_456, 1_234_567.8, -1_234.4, -999.6, 1e9, 98_765_432.49]) {
      expect(groupThousands(n)).toBe(Math.round(n).toLocaleString('en-US'));
    }
  });
});
