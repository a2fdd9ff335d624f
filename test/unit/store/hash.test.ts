import { describe, expect, it } from 'vitest';
import { contentHash } from '../../../src/store/hash.js';

describe('contentHash', () => {
  it('ignores key order at every level and drops undefined values', () => {
    const a = { name: 'Acme', amount: 10, nested: { x: 1, y: [1, { p: 1, q: 2 }] }, gone: undefined };
    const b = { nested: { y: [1, { q: 2, p: 1 }], x: 1 }, amount: 10, name: 'Acme' };
    expect(contentHash(a)).toBe(contentHash(b));
  });

  it('changes with any value, array order, null versus absent, and type', () => {
    const base = contentHash({ amount: 10, ids: ['a', 'b'], nextStep: null });
    expect(contentHash({ amount: 11, ids: ['a', 'b'], nextStep: null })).not.toBe(base);
    expect(contentHash({ amount: 10, ids: ['b', 'a'], nextStep: null })).not.toBe(base);
    expect(contentHash({ amount: 10, ids: ['a', 'b'] })).not.toBe(base);
    expect(contentHash({ amount: '10', ids: ['a', 'b'], nextStep: null })).not.toBe(base);
  });
});
