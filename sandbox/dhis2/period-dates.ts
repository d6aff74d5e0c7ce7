/**
 * ISO periods (docs.dhis2.org developer/web-api "Date and period format") as dates, in UTC (the
 * sandbox's server time zone): a period's first and last day, the period of a type a date falls
 * in, and the period some steps on. DHIS2 keeps a period's end as its last day at 00:00
 * (dhis2-core Period.getEndDate), so "the day after the end" is end + 1 day.
 */
const DAY = 86_400_000;

const MONTHS_OF: Record<string, number> = { Monthly: 1, BiMonthly: 2, Quarterly: 3, SixMonthly: 6, Yearly: 12 };

/** Monday of ISO week 1 of a year: the week holding 4 January. */
function isoWeekOne(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY;
}

/** First and last day (00:00 UTC) of an ISO period, or undefined for one this sandbox does not read. */
export function periodDays(period: string): { start: number; end: number } | undefined {
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(period);
  if (m) {
    const day = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    return { start: day, end: day };
  }
  m = /^(\d{4})W(\d{1,2})$/.exec(period);
  if (m) {
    const start = isoWeekOne(+m[1]) + (+m[2] - 1) * 7 * DAY;
    return { start, end: start + 6 * DAY };
  }
  const months = (year: number, first: number, count: number) => ({
    start: Date.UTC(year, first, 1),
    end: Date.UTC(year, first + count, 1) - DAY,
  });
  if ((m = /^(\d{4})(\d{2})$/.exec(period))) return months(+m[1], +m[2] - 1, 1);
  if ((m = /^(\d{4})0([1-6])B$/.exec(period))) return months(+m[1], (+m[2] - 1) * 2, 2);
  if ((m = /^(\d{4})Q([1-4])$/.exec(period))) return months(+m[1], (+m[2] - 1) * 3, 3);
  if ((m = /^(\d{4})S([12])$/.exec(period))) return months(+m[1], (+m[2] - 1) * 6, 6);
  if ((m = /^(\d{4})$/.exec(period))) return months(+m[1], 0, 12);
  return undefined;
}

/** The first day of the period of `type` that `at` falls in. */
export function periodStartAt(type: string, at: Date): number {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (type === 'Daily') return day;
  if (type === 'Weekly') return day - ((at.getUTCDay() + 6) % 7) * DAY;
  const span = MONTHS_OF[type] ?? 1;
  const month = Math.floor(at.getUTCMonth() / span) * span;
  return Date.UTC(at.getUTCFullYear(), month, 1);
}

/** The first day of the period `steps` periods of `type` after (or before) the one starting at `start`. */
export function shiftPeriod(type: string, start: number, steps: number): number {
  if (type === 'Daily') return start + steps * DAY;
  if (type === 'Weekly') return start + steps * 7 * DAY;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + steps * (MONTHS_OF[type] ?? 1), 1);
}

/** The ISO id of the period of `type` starting at `start`. */
export function isoPeriod(type: string, start: number): string {
  const d = new Date(start);
  const y = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const mm = String(month + 1).padStart(2, '0');
  switch (type) {
    case 'Daily':
      return `${y}${mm}${String(d.getUTCDate()).padStart(2, '0')}`;
    case 'Weekly': {
      // the ISO week year is the year of the week's Thursday
      const year = new Date(start + 3 * DAY).getUTCFullYear();
      return `${year}W${Math.round((start - isoWeekOne(year)) / (7 * DAY)) + 1}`;
    }
    case 'BiMonthly':
      return `${y}0${month / 2 + 1}B`;
    case 'Quarterly':
      return `${y}Q${month / 3 + 1}`;
    case 'SixMonthly':
      return `${y}S${month / 6 + 1}`;
    case 'Yearly':
      return String(y);
    default:
      return `${y}${mm}`;
  }
}

export const DAY_MS = DAY;
