import type { ImportConflict } from './import-summary.js';

/**
 * DHIS2's two "not now, not you" refusals of data values, in the operator's words: untimely (the
 * period is closed by the data set's expiry days or input periods, or not open yet) and no access
 * (the mediator's DHIS2 user may not capture for the org unit, or may not write the data set).
 * Neither is the report's fault and neither passes by itself: a retry sends the same refusal back
 * until a DHIS2 administrator changes something, so the write is refused (no blind retries) with
 * what to change, and an operator retries the job after. Codes: up to 2.42 per value E7617,
 * E7640, E7641, E7643, E7644 and, for a named data set, E7601 (dhis2-core
 * DataValueSetImportValidator); from 2.43 per group E8010, E8011, E8030, E8031
 * (DefaultDataEntryService.validateUserAccess, validateEntryTimeliness). The words name the org
 * unit, period and data set, never the user's name or credentials.
 */
export type EntryRefusalKind = 'untimely' | 'no-access';

export interface EntryRefusal {
  kind: EntryRefusalKind;
  /** What it is about: the report's period, its org unit, or the data set. */
  about: 'period' | 'orgUnit' | 'dataSet';
  /** What DHIS2 refused and what a DHIS2 administrator changes before the job is retried. */
  words: string;
}

export interface EntryTarget {
  orgUnit: string;
  period: string;
  dataSet?: string;
}

const RETRY = 'then retry the job';

/** The data set DHIS2 named (its messages quote it), else the configured one. */
function dataSetOf(c: ImportConflict, target: EntryTarget): string {
  const named = c.objects?.dataSet ?? /data ?set:? `?([A-Za-z][A-Za-z0-9]{10})\b/i.exec(c.message)?.[1];
  return named ?? target.dataSet ?? 'its data set';
}

/** The refusal in operator words, or undefined when the conflict is about something else. */
export function entryRefusalOf(c: ImportConflict, target: EntryTarget): EntryRefusal | undefined {
  const { orgUnit, period } = target;
  const ds = dataSetOf(c, target);
  switch (c.errorCode) {
    case 'E7640':
      return {
        kind: 'untimely',
        about: 'period',
        words: `period ${period} is closed for data entry in data set ${ds} (its expiry days have passed); a DHIS2 administrator reopens it for org unit ${orgUnit} (a lock exception) or raises the expiry days, ${RETRY}`,
      };
    case 'E7641':
      return {
        kind: 'untimely',
        about: 'period',
        words: `period ${period} is not open yet in data set ${ds} (after its latest open future period); ${RETRY} once the period is open, or a DHIS2 administrator raises the data set's open future periods`,
      };
    case 'E7643':
    case 'E7644':
      return {
        kind: 'untimely',
        about: 'period',
        words: `period ${period} is not open for data entry now in data set ${ds} (its data input periods); a DHIS2 administrator opens a data input period for it, ${RETRY}`,
      };
    case 'E8030':
      return {
        kind: 'untimely',
        about: 'period',
        words: `period ${period} is closed or not yet open for data entry in data set ${ds} (its expiry days, open future periods or data input periods); a DHIS2 administrator reopens it for org unit ${orgUnit} (a lock exception, the expiry days or a data input period), ${RETRY}`,
      };
    case 'E8031':
      return {
        kind: 'untimely',
        about: 'orgUnit',
        words: `org unit ${orgUnit} is not open in period ${period} (its opening or closed date in DHIS2); correct the org unit's dates in DHIS2 if it was open, ${RETRY}`,
      };
    case 'E7617':
    case 'E8011':
      return {
        kind: 'no-access',
        about: 'orgUnit',
        words: `the mediator's DHIS2 user may not enter data for org unit ${orgUnit} (outside its data capture org units); a DHIS2 administrator adds the org unit, or one above it, to the user's data capture org units, ${RETRY}`,
      };
    case 'E7601':
    case 'E8010':
      return {
        kind: 'no-access',
        about: 'dataSet',
        words: `the mediator's DHIS2 user may not write data values of data set ${ds} (no data write sharing); a DHIS2 administrator shares the data set with the user for data write, ${RETRY}`,
      };
    default:
      return undefined;
  }
}

/** The distinct refusals of an import, each once, as one sentence each with DHIS2's code. */
export function entryRefusalSummary(conflicts: ImportConflict[], target: EntryTarget): string | undefined {
  const seen = new Map<string, string>();
  for (const c of conflicts) {
    const r = entryRefusalOf(c, target);
    if (r && !seen.has(r.words))
      seen.set(r.words, `${r.kind === 'untimely' ? 'untimely' : 'no access'}: ${r.words} (DHIS2 ${c.errorCode})`);
  }
  return seen.size ? [...seen.values()].join('; ') : undefined;
}
