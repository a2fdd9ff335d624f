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
  /** How the period was built; decides what "the previous period" is. */
  kind: 'trailing' | 'quarter_to_date' | 'quarter' | 'custom';
}

/** A period from day numbers. */
export function period(label: string, startDay: number, endDay: number, kind: Period['kind'] = 'custom'): Period {
  return { label, startDay, endDay, start: isoDateOfDay(startDay), end: isoDateOfDay(endDay - 1), kind };
}

/** The `days` days ending today (inclusive). */
export function trailingDays(today: number, days: number): Period {
  return period(`last ${days} days`, today - days + 1, today + 1, 'trailing');
}

/** From the start of the fiscal quarter through today. */
export function quarterToDate(today: number, fiscalYearStartMonth: number): Period {
  const q = fiscalQuarterOf(today, fiscalYearStartMonth);
  return period(`${q.label} to date`, q.startDay, today + 1, 'quarter_to_date');
}

/** The whole fiscal quarter containing `day`. */
export function fiscalQuarter(day: number, fiscalYearStartMonth: number): Period {
  const q = fiscalQuarterOf(day, fiscalYearStartMonth);
  return period(q.label, q.startDay, q.endDay, 'quarter');
}

/**
 * The period to compare with: for a quarter to date, the same number of days from the start of
 * the previous quarter; for a whole quarter, the previous quarter; otherwise the same number of
 * days right before.
 */
export function previousPeriod(p: Period, fiscalYearStartMonth: number): Period {
  const len = p.endDay - p.startDay;
  if (p.kind === 'quarter_to_date' || p.kind === 'quarter') {
    const prevQ = fiscalQuarterOf(p.startDay - 1, fiscalYearStartMonth);
    const end = p.kind === 'quarter' ? prevQ.endDay : Math.min(prevQ.startDay + len, prevQ.endDay);
    return period(p.kind === 'quarter' ? prevQ.label : `${prevQ.label} same span`, prevQ.startDay, end, 'custom');
  }
  return period(`previous ${len} days`, p.startDay - len, p.startDay, 'custom');
}

/** True when `day` falls in the period. */
export function inPeriod(day: number, p: Period): boolean {
  return day >= p.startDay && day < p.endDay;
}
