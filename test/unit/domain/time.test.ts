import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDayClock, dayOfIsoDate, fiscalQuarterOf, isoDateOfDay, isoInstant, parseInstant } from '../../../src/domain/time.js';
import { base32of64, fnv1a64 } from '../../../src/domain/hash.js';
import { MoneySum, toReporting } from '../../../src/domain/money.js';

describe('day clock', () => {
  it('maps instants to local calendar days', () => {
    const ny = createDayClock('America/New_York');
    expect(isoDateOfDay(ny.dayOf(Date.parse('2026-11-26T04:59:59Z')))).toBe('2026-11-25');
    expect(isoDateOfDay(ny.dayOf(Date.parse('2026-11-26T05:00:00Z')))).toBe('2026-11-26');
  });

  it('handles DST transition days hour by hour', () => {
    const ny = createDayClock('America/New_York');
    // 2026-03-08: EST -> EDT at 07:00Z. 03:59Z is still Mar 7 (22:59 EST); 05:00Z is Mar 8 00:00 EST.
    expect(isoDateOfDay(ny.dayOf(Date.parse('2026-03-08T04:59:00Z')))).toBe('2026-03-07');
    expect(isoDateOfDay(ny.dayOf(Date.parse('2026-03-08T05:00:00Z')))).toBe('2026-03-08');
    expect(ny.offsetAt(Date.parse('2026-03-08T06:59:00Z'))).toBe(-5 * 3600_000);
    expect(ny.offsetAt(Date.parse('2026-03-08T07:00:00Z'))).toBe(-4 * 3600_000);
    expect(ny.startOfDay(dayOfIsoDate('2026-03-09'))).toBe(Date.parse('2026-03-09T04:00:00Z'));
  });

  it('parses ISO instants like Date.parse', () => {
    for (const s of [
      '2026-11-26T15:00:00.000Z',
      '2026-11-26T15:00:00Z',
      '2026-11-26T15:00:00.1234Z',
      '2026-11-26T15:00:00+05:30',
      '2026-01-01T00:00:00-08:00',
      '1999-12-31T23:59:59.999Z',
      '2026-11-26',
    ]) {
      expect(parseInstant(s)).toBe(Date.parse(s));
    }
    expect(Number.isNaN(parseInstant('garbage'))).toBe(true);
    expect(dayOfIsoDate('1970-01-02')).toBe(1);
    expect(Number.isNaN(dayOfIsoDate('2026-13-01'))).toBe(true);
  });

  it('finds fiscal quarters', () => {
    expect(fiscalQuarterOf(dayOfIsoDate('2026-11-26'), 1).label).toBe('FY2026-Q4');
    const feb = fiscalQuarterOf(dayOfIsoDate('2026-11-26'), 2); // FY starts Feb: Nov-Jan is Q4 of FY2027
    expect([feb.label, isoDateOfDay(feb.startDay), isoDateOfDay(feb.endDay)]).toEqual(['FY2027-Q4', '2026-11-01', '2027-02-01']);
  });
});

describe('hash', () => {
  it('is FNV-1a 64 over UTF-16LE bytes', () => {
    const ref = (s: string): bigint => {
      let h = 0xcbf29ce484222325n;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        for (const b of [c & 0xff, c >> 8]) {
          h ^= BigInt(b);
          h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
        }
      }
      return h;
    };
    for (const s of ['', 'a', 'acme\u001f006\u001fstale_deal', 'déjà vu ✓']) {
      const [hi, lo] = fnv1a64(s);
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(ref(s));
    }
    expect(base32of64(0, 0)).toBe('aaaaaaaaaaaaa');
    expect(base32of64(0xffffffff, 0xffffffff)).toBe('p777777777777');
  });
});

describe('money', () => {
  it('converts with rates and keeps unconvertible currencies apart', () => {
    const ctx = { reportingCurrency: 'USD', exchangeRates: { EUR: 1.1 } };
    expect(toReporting(100, 'EUR', ctx)).toEqual({ amount: 110.00000000000001, currency: 'USD' });
    const s = new MoneySum(ctx);
    s.add(100, 'EUR');
    s.add(50, null);
    s.add(70, 'GBP');
    expect(s.total()).toEqual([
      { amount: 160, currency: 'USD' },
      { amount: 70, currency: 'GBP' },
    ]);
  });
});

describe('isoInstant', () => {
  it('prints what Date.prototype.toISOString prints, across leap days, centuries and millisecond edges', () => {
    const edges = [
      '2024-02-29T23:59:59.999Z',
      '2000-03-01T00:00:00.000Z',
      '1900-02-28T12:00:00.001Z',
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
    ];
    for (const s of edges) expect(isoInstant(Date.parse(s))).toBe(s);
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('0500-01-01T00:00:00Z'), max: Date.parse('9999-12-31T23:59:59.999Z') }), (ms) => {
        expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('falls back to Date outside four-digit years and throws on an invalid instant as Date does', () => {
    const far = Date.parse('+010000-01-01T00:00:00Z');
    expect(isoInstant(far)).toBe(new Date(far).toISOString());
    expect(() => isoInstant(NaN)).toThrow(RangeError);
  });
});

describe('isoDateOfDay', () => {
  it('prints the UTC calendar date of a day number as Date does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -600_000, max: 2_900_000 }), (day) => {
        expect(isoDateOfDay(day)).toBe(new Date(day * 86_400_000).toISOString().slice(0, 10));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('DayClock cache', () => {
  it('answers a warm clock as a fresh one does, across DST changes and days 4096 apart (same cache slot)', () => {
    const warm = createDayClock('America/New_York');
    const start = Date.parse('2026-03-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), fc.boolean(), (offset, farApart) => {
        const ms = start + offset + (farApart ? 4096 * 86_400_000 : 0);
        warm.dayOf(ms - 4096 * 86_400_000); // fills the same slot with another day first
        expect(warm.dayOf(ms)).toBe(createDayClock('America/New_York').dayOf(ms));
        expect(warm.offsetAt(ms)).toBe(createDayClock('America/New_York').offsetAt(ms));
      }),
      { numRuns: 3_000 },
    );
  });
});
