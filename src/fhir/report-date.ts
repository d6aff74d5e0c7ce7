import { inRanges, type InstantRange } from '../domain/instant-range.js';
import type { Json } from './codecs/common.js';

/**
 * InventoryReport `date`: when the report was made (`reportedDateTime`) or the period it reports
 * on (`reportingPeriod`). Only DHIS2 took the parameter (it reads the periods of the range); the
 * live snapshots of OpenLMIS, Open mSupply and OpenMRS ignored it, so `date=lt2020-01-01` listed
 * today's stock. Matched here on every system: each range (a repeat ANDs) is met by the report's
 * time, or by a period overlapping it, as DHIS2 picks its periods; `ne` by a period outside it.
 */
export function reportDateMatches(report: Json, ranges: InstantRange[]): boolean {
  return ranges.every((r) => inRanges(report.reportedDateTime, [r]) || periodMeets(report.reportingPeriod, r));
}

function periodMeets(period: Json | undefined, r: InstantRange): boolean {
  if (!period?.start && !period?.end) return false;
  const start = period.start ? Date.parse(period.start) : -Infinity;
  const end = period.end ? Date.parse(period.end) : Infinity;
  const from = r.from === undefined ? -Infinity : Date.parse(r.from);
  const to = r.to === undefined ? Infinity : Date.parse(r.to);
  const overlaps = start <= to && end >= from;
  return r.exclude ? !overlaps : overlaps;
}
