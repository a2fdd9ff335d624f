/** Report periods in the connection's calendar: trailing windows, quarter to date, previous periods. */
import { fiscalQuarterOf, isoDateOfDay } from '../time.js';

/** A half-open range of local days `[startDay, endDay)`, with ISO dates for display. */
export interface Period {
  label: string;
  startDay: number;
  /** Exclusive. */
  endDay: number;
  /** First day, ISO. */
  start: string;
  /** Last day (inclusive), ISO. */
  end: string;
}

/** A period from day numbers. */
export function period(label: string, startDay: number, endDay: number): Period {
  return { label, startDay, endDay, start: isoDateOfDay(startDay), end: isoDateOfDay(endDay - 1) };
}

/** The `days` days ending today (inclusive). */
export function trailingDays(today: number, days: number): Period {
  return period(`last ${days} days`, today - days + 1, today + 1);
}

/** From the start of the fiscal quarter through today. */
export function quarterToDate(today: number, fiscalYearStartMonth: number): Period {
  const q = fiscalQuarterOf(today, fiscalYearStartMonth);
  return period(`${q.label} to date`, q.startDay, today + 1);
}

/** The whole fiscal quarter containing `day`. */
export function fiscalQuarter(day: number, fiscalYearStartMonth: number): Period {
  const q = fiscalQuarterOf(day, fiscalYearStartMonth);
  return period(q.label, q.startDay, q.endDay);
}

/**
 * The period to compare with: the same number of days right before for trailing windows; for a
 * quarter to date, the same number of days from the start of the previous quarter.
 */
export function previousPeriod(p: Period, fiscalYearStartMonth: number): Period {
  const len = p.endDay - p.startDay;
  const q = fiscalQuarterOf(p.startDay, fiscalYearStartMonth);
  if (q.startDay === p.startDay) {
    const prevQ = fiscalQuarterOf(p.startDay - 1, fiscalYearStartMonth);
    return period(`${prevQ.label} same span`, prevQ.startDay, Math.min(prevQ.startDay + len, prevQ.endDay));
  }
  return period(`previous ${len} days`, p.startDay - len, p.startDay);
}

/** True when `day` falls in the period. */
export function inPeriod(day: number, p: Period): boolean {
  return day >= p.startDay && day < p.endDay;
}
