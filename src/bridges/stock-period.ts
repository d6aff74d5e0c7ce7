import { BusinessRuleError } from '../domain/errors.js';
import type { DayWindow } from '../domain/stock-ledger.js';
import { periodOf, periodStart } from '../systems/dhis2/periods.js';

/**
 * The period a stock bridge run covers: a DHIS2 period id (202611, 2026Q4, 2026W45, 2026) or an
 * ISO month (2026-11, what a data manager types), as the DHIS2 period and the days it spans. The
 * data set decides the period type (docs.dhis2.org developer/web-api: a data value's period must
 * be of its data set's type): a run is for a whole period of that type.
 */
export interface BridgePeriod {
  /** DHIS2's period id, e.g. 202611. */
  id: string;
  /** Daily, Weekly, Monthly, Quarterly or Yearly. */
  type: string;
  days: DayWindow;
  /** First and last instant, for the report's reporting period. */
  start: string;
  end: string;
}

const TYPES: [string, RegExp][] = [
  ['Daily', /^\d{8}$/],
  ['Weekly', /^\d{4}W\d{1,2}$/],
  ['Monthly', /^\d{6}$/],
  ['Quarterly', /^\d{4}Q[1-4]$/],
  ['Yearly', /^\d{4}$/],
];

export function bridgePeriod(input: string, where = 'period'): BridgePeriod {
  const trimmed = input.trim();
  const iso = /^(\d{4})-(\d{2})$/.exec(trimmed);
  // a week written with a leading zero (2026W05) is DHIS2's 2026W5
  const id = iso ? `${iso[1]}${iso[2]}` : trimmed.replace(/W0+(?=\d)/, 'W');
  const span = periodStart(id);
  const type = TYPES.find(([, re]) => re.test(id))?.[0];
  // an id of the right shape naming no such period (202613, 2025W53, 20260230) spans days of
  // another one, whose values it would send under the wrong id: it must be what its first day makes
  if (!span || !type || periodOf(type, span.start) !== id)
    throw new BusinessRuleError(
      `${input} is not a period: give a month (2026-11) or a DHIS2 period (202611, 2026Q4, 2026W45, 2026)`,
      where,
    );
  return {
    id,
    type,
    days: { from: span.start.slice(0, 10), to: span.end.slice(0, 10) },
    start: span.start,
    end: span.end,
  };
}

/**
 * A period asked for by hand must be over: before its last day ends its stock on hand at the
 * period's end, stock-out days and months of stock are not known (days still to come would count
 * as they stand now), and a DHIS2 data set open for the current or future periods would take them.
 */
export function checkEnded(period: BridgePeriod, now: Date, where = 'period'): void {
  if (Date.parse(period.end) < now.getTime()) return;
  throw new BusinessRuleError(
    `${period.id} has not ended (its last day is ${period.days.to}): its stock indicators are known once it is over; the last complete ${period.type.toLowerCase()} period is ${previousPeriod(period.type, now).id}`,
    where,
  );
}

/** The last complete period of a type before `now`: what the scheduled run sends. */
export function previousPeriod(type: string, now: Date): BridgePeriod {
  if (!TYPES.some(([t]) => t === type))
    throw new BusinessRuleError(
      `DHIS2 period type ${type} is not one the stock bridge sends (${TYPES.map(([t]) => t).join(', ')})`,
      'dhis2.periodType',
    );
  const current = bridgePeriod(periodOf(type, now.toISOString(), 'dhis2.periodType'), 'dhis2.periodType');
  return bridgePeriod(periodOf(type, new Date(Date.parse(current.start) - 1).toISOString()), 'dhis2.periodType');
}

/** The `n` last complete periods of a type before `now`, oldest first. */
export function recentPeriods(type: string, now: Date, n: number): BridgePeriod[] {
  const periods = [previousPeriod(type, now)];
  while (periods.length < n) periods.unshift(previousPeriod(type, new Date(Date.parse(periods[0].start))));
  return periods;
}

/** The last complete month before `now`. */
export const previousMonth = (now: Date): BridgePeriod => previousPeriod('Monthly', now);

/** A period of another type than the data set's cannot be sent: say which type it takes. */
export function checkPeriodType(period: BridgePeriod, dataSetType: string, dataSet = 'the DHIS2 data set'): void {
  if (period.type !== dataSetType)
    throw new BusinessRuleError(`${dataSet} takes ${dataSetType} periods; ${period.id} is ${period.type}`, 'period');
}
