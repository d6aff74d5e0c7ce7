import { BusinessRuleError } from '../domain/errors.js';
import type { DayWindow } from '../domain/stock-ledger.js';
import { periodStart } from '../systems/dhis2/periods.js';

/**
 * The period a stock bridge run covers: a DHIS2 period id (202611, 2026Q4, 2026W45, 2026) or an
 * ISO month (2026-11, what a data manager types), as the DHIS2 period and the days it spans.
 */
export interface BridgePeriod {
  /** DHIS2's period id, e.g. 202611. */
  id: string;
  days: DayWindow;
  /** First and last instant, for the report's reporting period. */
  start: string;
  end: string;
}

export function bridgePeriod(input: string, where = 'period'): BridgePeriod {
  const trimmed = input.trim();
  const iso = /^(\d{4})-(\d{2})$/.exec(trimmed);
  const id = iso ? `${iso[1]}${iso[2]}` : trimmed;
  const span = periodStart(id);
  if (!span || (iso && (+iso[2] < 1 || +iso[2] > 12)))
    throw new BusinessRuleError(
      `${input} is not a period: give a month (2026-11) or a DHIS2 period (202611, 2026Q4, 2026W45, 2026)`,
      where,
    );
  return { id, days: { from: span.start.slice(0, 10), to: span.end.slice(0, 10) }, start: span.start, end: span.end };
}

/** The last complete month before `now`: what the scheduled run sends. */
export function previousMonth(now: Date): BridgePeriod {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return bridgePeriod(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
}
