import { describe, expect, it } from 'vitest';
import { RunMemo } from '../../../src/domain/memo.js';

describe('RunMemo', () => {
  it('builds a value once per key and returns the same value after', () => {
    const memo = new RunMemo();
    let builds = 0;
    const build = () => ({ n: ++builds });
    const first = memo.get('recency 3 14 true', build);
    expect(memo.get('recency 3 14 true', build)).toBe(first);
    expect(memo.get('recency 3 14 false', build)).not.toBe(first);
    expect(builds).toBe(2);
  });

  it('gives different keys different values', () => {
    const memo = new RunMemo();
    expect(memo.get('a', () => 'from a')).toBe('from a');
    expect(memo.get('b', () => 'from b')).toBe('from b');
    expect(memo.get('a', () => 'again')).toBe('from a');
  });
});
