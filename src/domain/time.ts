/**
 * Calendar arithmetic in a connection's IANA time zone, without a clock.
 *
 * Days are "day numbers": whole days since 1970-01-01 of the *local* calendar, so that
 * `today - lastActivityDay` counts calendar days the way a rep in that zone sees them.
 * Intl is slow (microseconds a call), so offsets are cached per UTC day: a zone changes its
 * offset at most once a day, and only days containing a change are resolved per hour.
 */
import { flat } from './strings.js';

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
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const p of fmt.formatToParts(new Date(at))) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value); break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
        default: break;
      }
    }
    return Date.UTC(y, mo - 1, d, h, mi, s) - at;
  };
  // Per UTC day: a number when the offset is constant that day, else a per-hour table.
  const byUtcDay = new Map<number, number | Int32Array>();
  // In front of it, a direct-mapped cache of constant-offset days (day & 4095): a million lookups a
  // run become two typed-array reads instead of a map lookup each. NaN marks an empty slot.
  const cachedDay = new Float64Array(4096).fill(NaN);
  const cachedOffset = new Float64Array(4096);
  const offsetAt = (ms: number): number => {
    const utcDay = Math.floor(ms / MS_PER_DAY);
    const slot = utcDay & 4095;
    if (cachedDay[slot] === utcDay) return cachedOffset[slot]!;
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
    if (typeof entry === 'number') {
      cachedDay[slot] = utcDay;
      cachedOffset[slot] = entry;
      return entry;
    }
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

/** Day number of an ISO calendar date (`2026-11-26`); NaN when malformed. Pure arithmetic, no Intl. */
export function dayOfIsoDate(isoDate: string): number {
  if (isoDate.length < 10 || isoDate.charCodeAt(4) !== 45 || isoDate.charCodeAt(7) !== 45) return NaN;
  const y = digit(isoDate, 0) * 1000 + digit(isoDate, 1) * 100 + two(isoDate, 2);
  const m = two(isoDate, 5);
  const d = two(isoDate, 8);
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 0)) return NaN;
  return daysFromCivil(y, m, d);
}

/** ISO calendar date (`2026-11-26`) of a day number (by arithmetic for four-digit years, see isoInstant). */
export function isoDateOfDay(day: number): string {
  const { year, month, day: dom } = civilFromDays(Math.floor(day));
  if (!(year >= 1000 && year <= 9999)) return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
  return flat(`${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[dom]}`);
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `new Date(ms).toISOString()` (`2026-11-26T15:04:05.123Z`) by arithmetic: rules quote instants in
 * the evidence of tens of thousands of findings, and the Date round trip was a tenth of a run.
 * Years outside 1000-9999 (and invalid instants) go through Date, which also throws as it does.
 */
export function isoInstant(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  const { year, month, day: dom } = civilFromDays(day);
  if (!(year >= 1000 && year <= 9999)) return new Date(ms).toISOString();
  let rest = ms - day * MS_PER_DAY;
  const h = Math.floor(rest / MS_PER_HOUR);
  rest -= h * MS_PER_HOUR;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  rest -= sec * 1000;
  const time = `${TWO_DIGITS[h]}:${TWO_DIGITS[mi]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[Math.floor(rest)]}`;
  const out = `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[dom]}T${time}Z`;
  return flat(out);
}

/** Proleptic Gregorian date of a day number (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
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

/** Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * Parses an ISO 8601 instant to epoch ms (NaN when invalid). The canonical shape
 * (`YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]`) is parsed by hand, several times faster than
 * Date.parse on a million activities; anything else falls back to Date.parse.
 */
export function parseInstant(iso: string): number {
  const n = iso.length;
  if (n < 20 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45 || iso.charCodeAt(10) !== 84 || iso.charCodeAt(13) !== 58 || iso.charCodeAt(16) !== 58) return Date.parse(iso);
  const y = digit(iso, 0) * 1000 + digit(iso, 1) * 100 + two(iso, 2);
  const mo = two(iso, 5);
  const d = two(iso, 8);
  const h = two(iso, 11);
  const mi = two(iso, 14);
  const sec = two(iso, 17);
  let i = 19;
  let ms = 0;
  if (iso.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    while (i < n) {
      const c = iso.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
      i++;
    }
  }
  let offsetMin = 0;
  const z = iso.charCodeAt(i);
  if (z === 90 && i === n - 1) offsetMin = 0;
  else if ((z === 43 || z === 45) && n - i === 6 && iso.charCodeAt(i + 3) === 58) {
    offsetMin = (two(iso, i + 1) * 60 + two(iso, i + 4)) * (z === 43 ? 1 : -1);
  } else return Date.parse(iso);
  const v = ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMin) * 60_000 + sec * 1000 + Math.floor(ms);
  return Number.isFinite(v) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59 && sec <= 60 ? v : Date.parse(iso);
}

const MONTH_ABBREVIATIONS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A day as people write it: `22 Oct 2026` (day numbers are already in the connection's zone). */
export function readableDay(day: number): string {
  const { year, month, day: dom } = civilFromDays(Math.floor(day));
  return `${dom} ${MONTH_ABBREVIATIONS[month - 1]} ${year}`;
}

/** Every ISO calendar date (`2026-10-22`) in a sentence, as people write it (`22 Oct 2026`). */
export function readableDates(text: string): string {
  return text.replace(/\b(\d{4}-\d{2}-\d{2})(?:T[\d:.]+Z)?\b/g, (iso: string, date: string) => {
    const day = dayOfIsoDate(date);
    return Number.isNaN(day) ? iso : readableDay(day);
  });
}
