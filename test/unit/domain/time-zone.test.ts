import { describe, expect, it } from 'vitest';
import { effectiveTimeZone, isoDateIn } from '../../../src/domain/time.js';

describe("a connection's calendar day", () => {
  it('counts days in the connection time zone, else the schedule one', () => {
    expect(effectiveTimeZone({ timezone: 'Europe/Berlin', schedule: { timezone: 'UTC' } })).toBe('Europe/Berlin');
    expect(effectiveTimeZone({ schedule: { timezone: 'America/New_York' } })).toBe('America/New_York');
  });
  it('gives the local date of an instant on either side of midnight', () => {
    const lateUtc = new Date('2026-06-14T22:30:00Z');
    expect(isoDateIn('UTC', lateUtc)).toBe('2026-06-14');
    expect(isoDateIn('Europe/Berlin', lateUtc)).toBe('2026-06-15');
    expect(isoDateIn('America/Los_Angeles', new Date('2026-06-15T03:00:00Z'))).toBe('2026-06-14');
    expect(isoDateIn('Pacific/Kiritimati', new Date('2026-12-31T10:00:00Z'))).toBe('2027-01-01');
  });
});
