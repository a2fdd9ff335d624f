/**
 * Calendar arithmetic in a connection's IANA time zone, without a clock.
 *
 * Days are "day numbers": whole days since 1970-01-01 of the *local* calendar, so that
 * `today - lastActivityDay` counts calendar days the way a rep in that zone sees them.
 * Intl is slow (microseconds a call), so offsets are cached per UTC day: a zone changes its
 * offset at most once a day, and only days containing a change are resolved per hour.
 */
export const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** Converts instants to local day numbers in one time zone; build once per run. */
export interface DayClock {
  readonly timezone: string;
  /** Local day number of an instant (epoch ms). */
  dayOf(epochMs: number): number;
  /** UTC offset in ms of the zone at an instant (local = utc + offset). */
  offsetAt(epochMs: number): number;
  /** Epoch ms of local midnight starting a local day number. */
  startOfDay(day: number): number;
}

/** True when `timezone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Builds a {@link DayClock} for an IANA zone; throws RangeError on an unknown zone. */
export function createDayClock(timezone: string): DayClock {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const exactOffset = (ms: number): number => {
    const at = Math.floor(ms / 1000) * 1000;
    let y = 0,
      mo = 0,
      d = 0,
      h = 0,
      mi = 0,
      s = 0;
    for (const p of fmt.formatToParts(new Date(at))) {
      switch (p.type) {
        case 'year':
          y = Number(p.value);
          break;
        case 'month':
          mo = Number(p.value);
          break;
        case 'day':
          d = Number(p.value);
          break;
        case 'hour':
          h = Number(p.value);
          break;
        case 'minute':
          mi = Number(p.value);
          break;
        case 'second':
          s = Number(p.value);
          break;
        default:
          break;
      }
    }
    return Date.UTC(y, mo - 1, d, h, mi, s) - at;
  };
  // Per UTC day: a number when the offset is constant that day, else a per-hour table.
  const byUtcDay = new Map<number, number | Int32Array>();
  const offsetAt = (ms: number): number => {
    const utcDay = Math.floor(ms / MS_PER_DAY);
    let entry = byUtcDay.get(utcDay);
    if (entry === undefined) {
      const start = utcDay * MS_PER_DAY;
      const a = exactOffset(start);
      const b = exactOffset(start + MS_PER_DAY - 1000);
      if (a === b) entry = a;
      else {
        const hours = new Int32Array(24);
        for (let hr = 0; hr < 24; hr++) hours[hr] = exactOffset(start + hr * MS_PER_HOUR + MS_PER_HOUR - 1000);
        entry = hours;
      }
      byUtcDay.set(utcDay, entry);
    }
    if (typeof entry === 'number') return entry;
    return entry[Math.floor((ms - utcDay * MS_PER_DAY) / MS_PER_HOUR)] ?? 0;
  };
  const dayOf = (ms: number): number => Math.floor((ms + offsetAt(ms)) / MS_PER_DAY);
  const startOfDay = (day: number): number => {
    // Local midnight = day*DAY - offset; the offset guess is refined once for DST days.
    const guess = day * MS_PER_DAY - offsetAt(day * MS_PER_DAY);
    return day * MS_PER_DAY - offsetAt(guess);
  };
  return { timezone, dayOf, offsetAt, startOfDay };
}

/** Day number of an ISO calendar date (`2026-11-26`, or the date part of an instant); NaN when malformed. */
export function dayOfIsoDate(isoDate: string): number {
  if (!ISO_DATE.test(isoDate)) return NaN;
  return Date.parse(`${isoDate.slice(0, 10)}T00:00:00Z`) / MS_PER_DAY;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** ISO calendar date (`2026-11-26`) of a day number. */
export function isoDateOfDay(day: number): string {
  return new Date(Math.floor(day) * MS_PER_DAY).toISOString().slice(0, 10);
}

/** An instant as ISO 8601 in UTC (`2026-11-26T15:04:05.123Z`); throws RangeError on an invalid instant, as Date does. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** Calendar parts of a day number. */
export function ymdOfDay(day: number): { year: number; month: number; day: number } {
  const d = new Date(day * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Day number of a calendar date (month 1-12; overflowing months roll into the next year). */
export function dayOfYmd(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/** A half-open range of local days `[startDay, endDay)`. */
export interface DayRange {
  startDay: number;
  endDay: number;
}

/** The fiscal quarter containing `day`; `fiscalYearStartMonth` is 1-12. */
export function fiscalQuarterOf(day: number, fiscalYearStartMonth: number): DayRange & { label: string } {
  const { year, month } = ymdOfDay(day);
  const monthsIntoFy = (((month - fiscalYearStartMonth) % 12) + 12) % 12;
  const q = Math.floor(monthsIntoFy / 3);
  const startMonthAbs = month - (monthsIntoFy % 3);
  const startDay = dayOfYmd(year, startMonthAbs, 1);
  const endDay = dayOfYmd(year, startMonthAbs + 3, 1);
  // Fiscal year is named after the calendar year it ends in (FY starting Feb 2026 = FY2027).
  const fyStartYear = month >= fiscalYearStartMonth ? year : year - 1;
  const fyName = fiscalYearStartMonth === 1 ? fyStartYear : fyStartYear + 1;
  return { startDay, endDay, label: `FY${fyName}-Q${q + 1}` };
}

/** A stable index of the fiscal quarter containing `day` (consecutive quarters differ by 1). */
export function fiscalQuarterIndex(day: number, fiscalYearStartMonth: number): number {
  const { year, month } = ymdOfDay(day);
  return Math.floor((year * 12 + (month - 1) - (fiscalYearStartMonth - 1)) / 3);
}

/** Parses an ISO 8601 instant to epoch ms; NaN when invalid. */
export function parseInstant(iso: string): number {
  return Date.parse(iso);
}

const MONTH_ABBREVIATIONS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A day as people write it: `22 Oct 2026` (day numbers are already in the connection's zone). */
export function readableDay(day: number): string {
  const { year, month, day: dom } = ymdOfDay(Math.floor(day));
  return `${dom} ${MONTH_ABBREVIATIONS[month - 1]} ${year}`;
}

/** Every ISO calendar date (`2026-10-22`) in a sentence, as people write it (`22 Oct 2026`). */
export function readableDates(text: string): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2})(?:T[\d:.]+Z)?\b/g, (iso: string, date: string) => {
    const day = dayOfIsoDate(date);
    return Number.isNaN(day) ? iso : readableDay(day);
  });
}

/** The zone a connection's days are counted in: its `timezone`, else its schedule's. */
export function effectiveTimeZone(settings: { timezone?: string | undefined; schedule: { timezone: string } }): string {
  return settings.timezone ?? settings.schedule.timezone;
}

/** `YYYY-MM-DD` of an instant on the calendar of a time zone. */
export function isoDateIn(timezone: string, at: Date): string {
  return isoDateOfDay(createDayClock(timezone).dayOf(at.getTime()));
}
