import { BusinessRuleError } from '../../domain/errors.js';

/**
 * DHIS2 period identifiers from a date, per period type (docs.dhis2.org developer/web-api
 * overview.md "Date and period format"): Daily yyyyMMdd, Weekly yyyyWn (ISO 8601 week, no zero
 * pad), Monthly yyyyMM, BiMonthly yyyyMMB, Quarterly yyyyQn, SixMonthly yyyySn, Yearly yyyy.
 */
const pad = (n: number) => String(n).padStart(2, '0');

/** The period types periodOf makes ids for (DHIS2's PeriodType names, case as DHIS2 writes them). */
export const PERIOD_TYPES = ['Daily', 'Weekly', 'Monthly', 'BiMonthly', 'Quarterly', 'SixMonthly', 'Yearly'] as const;

export const isPeriodType = (s: string): boolean => (PERIOD_TYPES as readonly string[]).includes(s);

/** ISO 8601 week-numbering year and week of a UTC date. */
function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return { year: t.getUTCFullYear(), week: Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7) };
}

/**
 * The calendar day a FHIR date or dateTime was written on, as a UTC midnight. A dateTime's own
 * date is the client's calendar: `2024-03-01T00:00:00+03:00` is 1 March where the facility is,
 * though still 29 February in UTC, and DHIS2 periods have no time zone. Undefined when it is no
 * real date.
 */
function calendarDay(instant: string): Date | undefined {
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(instant);
  if (!ymd) {
    const d = new Date(instant); // a year or a year-month: its first day
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const d = new Date(Date.UTC(+ymd[1], +ymd[2] - 1, +ymd[3]));
  return d.getUTCMonth() === +ymd[2] - 1 && d.getUTCDate() === +ymd[3] ? d : undefined;
}

export function periodOf(periodType: string, instant: string, where = 'StockReport.period'): string {
  const d = calendarDay(instant);
  if (!d) throw new BusinessRuleError(`${instant} is not a date a DHIS2 period can be made from`, where);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  switch (periodType) {
    case 'Daily':
      return `${y}${pad(m)}${pad(d.getUTCDate())}`;
    case 'Weekly': {
      const w = isoWeek(d);
      return `${w.year}W${w.week}`;
    }
    case 'Monthly':
      return `${y}${pad(m)}`;
    case 'BiMonthly':
      return `${y}${pad(Math.ceil(m / 2))}B`;
    case 'Quarterly':
      return `${y}Q${Math.ceil(m / 3)}`;
    case 'SixMonthly':
      return `${y}S${m <= 6 ? 1 : 2}`;
    case 'Yearly':
      return String(y);
    default:
      throw new BusinessRuleError(
        // a data set's type as DHIS2 reports it (dhis2.periodType is checked at configuration)
        `DHIS2 period type ${periodType} is not supported for stock reports (${PERIOD_TYPES.join(', ')})`,
        where,
      );
  }
}

/** The first and last instant of a period (for reads back into a report); undefined for a form periodOf does not make. */
export function periodStart(period: string): { start: string; end: string } | undefined {
  const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).toISOString();
  const endOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d) - 1).toISOString();
  let r: RegExpExecArray | null;
  if ((r = /^(\d{4})(\d{2})(\d{2})$/.exec(period)))
    return { start: iso(+r[1], +r[2], +r[3]), end: endOf(+r[1], +r[2], +r[3] + 1) };
  if ((r = /^(\d{4})(\d{2})$/.exec(period))) return { start: iso(+r[1], +r[2], 1), end: endOf(+r[1], +r[2] + 1, 1) };
  if ((r = /^(\d{4})(0[1-6])B$/.exec(period)))
    return { start: iso(+r[1], +r[2] * 2 - 1, 1), end: endOf(+r[1], +r[2] * 2 + 1, 1) };
  if ((r = /^(\d{4})S([12])$/.exec(period)))
    return { start: iso(+r[1], +r[2] * 6 - 5, 1), end: endOf(+r[1], +r[2] * 6 + 1, 1) };
  if ((r = /^(\d{4})Q([1-4])$/.exec(period)))
    return { start: iso(+r[1], (+r[2] - 1) * 3 + 1, 1), end: endOf(+r[1], +r[2] * 3 + 1, 1) };
  if ((r = /^(\d{4})$/.exec(period))) return { start: iso(+r[1], 1, 1), end: endOf(+r[1] + 1, 1, 1) };
  if ((r = /^(\d{4})W(\d{1,2})$/.exec(period))) {
    const jan4 = new Date(Date.UTC(+r[1], 0, 4));
    const monday = Date.UTC(+r[1], 0, 4 - ((jan4.getUTCDay() || 7) - 1) + (+r[2] - 1) * 7);
    return { start: new Date(monday).toISOString(), end: new Date(monday + 7 * 86_400_000 - 1).toISOString() };
  }
  return undefined;
}
