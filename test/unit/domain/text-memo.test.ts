import { describe, expect, it } from 'vitest';
import { RunTexts, TextMemo } from '../../../src/domain/text-memo.js';

describe('TextMemo', () => {
  it('returns what was set under the same keys and nothing under others', () => {
    const m = new TextMemo();
    expect(m.get(3, 14, true)).toBeUndefined();
    expect(m.set('3 days (14)', 3, 14, true)).toBe('3 days (14)');
    expect(m.get(3, 14, true)).toBe('3 days (14)');
    expect(m.get(3, 14, false)).toBeUndefined();
    expect(m.get(14, 3, true)).toBeUndefined();
    expect(m.get(3, 14)).toBeUndefined();
  });

  it('keeps packed fields apart at the field limit and sends larger, negative and fractional keys to the nested maps', () => {
    const m = new TextMemo();
    const limit = 2 ** 17;
    m.set('a', 1, 0, 0);
    m.set('b', 0, limit - 1, 0);
    m.set('c', 0, limit, 0); // would alias (1, 0, 0) if packed
    m.set('d', 0.5, 1);
    m.set('e', -1, 1);
    expect([m.get(1, 0, 0), m.get(0, limit - 1, 0), m.get(0, limit, 0), m.get(0.5, 1), m.get(-1, 1)]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(m.get(0, 0, 1)).toBeUndefined();
  });

  it('keys by object identity and string value', () => {
    const m = new TextMemo();
    const stage = { id: 'demo' };
    m.set('obj', stage, 2);
    m.set('str', '2026-11-01');
    expect(m.get(stage, 2)).toBe('obj');
    expect(m.get({ id: 'demo' }, 2)).toBeUndefined();
    expect(m.get(`2026-11-${'01'}`)).toBe('str');
  });

  it('gives each template name its own memo', () => {
    const t = new RunTexts();
    t.memo('x').set('from x', 1);
    expect(t.memo('x').get(1)).toBe('from x');
    expect(t.memo('y').get(1)).toBeUndefined();
  });
});

describe('TextMemo with an object and a day count', () => {
  it('keeps each object its own values, and large or fractional counts apart from small ones', () => {
    const m = new TextMemo();
    const a = { stage: 'a' };
    const b = { stage: 'b' };
    m.set('a3', a, 3);
    m.set('b3', b, 3);
    m.set('a-big', a, 2 ** 17);
    m.set('a-half', a, 3.5);
    expect([m.get(a, 3), m.get(b, 3), m.get(a, 2 ** 17), m.get(a, 3.5), m.get(a, 4), m.get({ stage: 'a' }, 3)]).toEqual(['a3', 'b3', 'a-big', 'a-half', undefined, undefined]);
  });
});
