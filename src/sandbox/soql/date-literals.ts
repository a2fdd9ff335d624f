/**
 * Salesforce relative date literals (TODAY, LAST_N_DAYS:n, THIS_QUARTER...) as UTC ranges
 * [start, end). Comparisons with a range follow Salesforce: `=` inside, `<` before start,
 * `>` at or after end, `<=` before end, `>=` at or after start.
 */
const DAY = 86_400_000;

const FIXED = new Set([
  'YESTERDAY',
  'TODAY',
  'TOMORROW',
  'LAST_WEEK',
  'THIS_WEEK',
  'NEXT_WEEK',
  'LAST_MONTH',
  'THIS_MONTH',
  'NEXT_MONTH',
  'LAST_90_DAYS',
  'NEXT_90_DAYS',
  'THIS_QUARTER',
  'LAST_QUARTER',
  'NEXT_QUARTER',
  'THIS_YEAR',
  'LAST_YEAR',
  'NEXT_YEAR',
]);
const WITH_N = new Set(['LAST_N_DAYS', 'NEXT_N_DAYS', 'N_DAYS_AGO', 'LAST_N_WEEKS', 'NEXT_N_WEEKS', 'LAST_N_MONTHS', 'NEXT_N_MONTHS']);

export const isDateLiteral = (upper: string): boolean => FIXED.has(upper) || WITH_N.has(upper);
export const dateLiteralTakesN = (upper: string): boolean => WITH_N.has(upper);

function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

export function dateLiteralRange(name: string, n: number | null, now: number): { start: number; end: number } {
  const today = Math.floor(now / DAY) * DAY;
  const d = new Date(today);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  // Weeks start on Sunday (Salesforce's default locale, en_US).
  const weekStart = today - d.getUTCDay() * DAY;
  const q = Math.floor(m / 3) * 3;
  const k = n ?? 0;
  switch (name) {
    case 'YESTERDAY':
      return { start: today - DAY, end: today };
    case 'TODAY':
      return { start: today, end: today + DAY };
    case 'TOMORROW':
      return { start: today + DAY, end: today + 2 * DAY };
    case 'LAST_WEEK':
      return { start: weekStart - 7 * DAY, end: weekStart };
    case 'THIS_WEEK':
      return { start: weekStart, end: weekStart + 7 * DAY };
    case 'NEXT_WEEK':
      return { start: weekStart + 7 * DAY, end: weekStart + 14 * DAY };
    case 'LAST_MONTH':
      return { start: monthStart(y, m - 1), end: monthStart(y, m) };
    case 'THIS_MONTH':
      return { start: monthStart(y, m), end: monthStart(y, m + 1) };
    case 'NEXT_MONTH':
      return { start: monthStart(y, m + 1), end: monthStart(y, m + 2) };
    case 'LAST_90_DAYS':
      return { start: today - 90 * DAY, end: today + DAY };
    case 'NEXT_90_DAYS':
      return { start: today + DAY, end: today + 91 * DAY };
    case 'THIS_QUARTER':
      return { start: monthStart(y, q), end: monthStart(y, q + 3) };
    case 'LAST_QUARTER':
      return { start: monthStart(y, q - 3), end: monthStart(y, q) };
    case 'NEXT_QUARTER':
      return { start: monthStart(y, q + 3), end: monthStart(y, q + 6) };
    case 'THIS_YEAR':
      return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
    case 'LAST_YEAR':
      return { start: Date.UTC(y - 1, 0, 1), end: Date.UTC(y, 0, 1) };
    case 'NEXT_YEAR':
      return { start: Date.UTC(y + 1, 0, 1), end: Date.UTC(y + 2, 0, 1) };
    case 'LAST_N_DAYS':
      return { start: today - k * DAY, end: today + DAY };
    case 'NEXT_N_DAYS':
      return { start: today + DAY, end: today + (k + 1) * DAY };
    case 'N_DAYS_AGO':
      return { start: today - k * DAY, end: today - k * DAY + DAY };
    case 'LAST_N_WEEKS':
      return { start: weekStart - k * 7 * DAY, end: weekStart };
    case 'NEXT_N_WEEKS':
      return { start: weekStart + 7 * DAY, end: weekStart + (k + 1) * 7 * DAY };
    case 'LAST_N_MONTHS':
      return { start: monthStart(y, m - k), end: monthStart(y, m) };
    case 'NEXT_N_MONTHS':
      return { start: monthStart(y, m + 1), end: monthStart(y, m + 1 + k) };
    default:
      throw new Error(`unknown date literal ${name}`);
  }
}
