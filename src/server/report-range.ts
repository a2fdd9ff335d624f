/**
 * The day range of the pipeline-changes report: defaults (the last 7 days), order, and a cap of
 * three years, so a request can neither ask for a reversed comparison nor for ten thousand years.
 */
import { dayOfIsoDate, isoDateOfDay } from '../domain/time.js';
import { InvalidRequestError } from './errors.js';

/** Longest range the report compares: three years, a leap day included. */
export const MAX_CHANGES_RANGE_DAYS = 3 * 365 + 1;
/** Range when `from` is not given: the week before `to`. */
export const DEFAULT_CHANGES_RANGE_DAYS = 7;

/** `from` and `to` as the report uses them; `today` is the connection's day (days since epoch). */
export function changesRange(query: { from?: string | undefined; to?: string | undefined }, today: number): { from: string; to: string } {
  const to = query.to !== undefined ? dayOfIsoDate(query.to) : today;
  const from = query.from !== undefined ? dayOfIsoDate(query.from) : to - DEFAULT_CHANGES_RANGE_DAYS;
  if (from > to) {
    throw new InvalidRequestError(
      'querystring',
      'from',
      `must be on or before to (${isoDateOfDay(to)}${query.to === undefined ? ', today' : ''})`,
    );
  }
  if (to - from > MAX_CHANGES_RANGE_DAYS) {
    throw new InvalidRequestError(
      'querystring',
      query.from !== undefined ? 'from' : 'to',
      `spans ${to - from} days; a range is at most ${MAX_CHANGES_RANGE_DAYS} days (3 years)`,
    );
  }
  return { from: isoDateOfDay(from), to: isoDateOfDay(to) };
}
