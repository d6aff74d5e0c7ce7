import type { DataSet, Dhis2State, OrgUnit } from './state.js';
import type { SeedUser } from './seed.js';
import { DAY_MS, isoPeriod, periodDays, periodStartAt, shiftPeriod } from './period-dates.js';

/**
 * The two checks DHIS2 makes on every data value import beside the values themselves: may the
 * user capture here (access), and may data be entered for this period now (timeliness).
 *
 * Up to 2.42 (dhis2-core dxf2/datavalueset/DataValueSetImportValidator, tag 2.42.5), per value:
 * - E7617 the org unit is outside the user's data capture org units (and their descendants);
 * - E7640 the data set's expiryDays have passed since the period's end (DataSet.isLocked: now
 *   after end + 1 day + expiryDays), unless a lock exception exists for the data set, period and
 *   org unit, or the user may edit expired data (F_EDIT_EXPIRED, a superuser);
 * - E7641 the period is after the latest open future period (PeriodType.getFuturePeriod:
 *   openFuturePeriods 0 leaves the current period closed);
 * - E7643 the data set has data input periods and none is this period open today.
 * The data sets checked are the one named, else every data set of the value's data element that
 * has its org unit; expiry and input periods pass when one of them allows, future periods only
 * when all do (checkDataValueTargetDataSets). A superuser's `force` skips the three. A named data
 * set the user may not write (data-write sharing) refuses the whole import (E7601,
 * DATASET_NOT_ACCESSIBLE, "Import process was aborted").
 *
 * From 2.43 (datavalue/DefaultDataEntryService.validate, validateUserAccess,
 * validateEntryTimeliness, tag 2.43.1 and main) each is a refusal of the whole group: E8010 data
 * set not writable, E8011 org units outside the hierarchy (a superuser skips both); E8031 a period
 * outside the org unit's opening and closed dates; E8030 untimely: with explicit input periods
 * only those (2.43.0 and 2.43.1 test them inverted, taking only periods whose input period is NOT
 * open now: DHIS2-21981, fixed on main by 9d553d68; simulated for those versions), else expiry (now after
 * end + expiryDays + 1 day, lock exceptions exempt) and open future periods, both skipped by
 * F_EDIT_EXPIRED; a superuser's `force` skips timeliness.
 */
export interface EntryRefusal {
  errorCode: string;
  value: string;
  property: string;
  objects: Record<string, string>;
}

const list = (ids: string[]) => `[${ids.join(', ')}]`;

/** The data sets a value is checked against up to 2.42 (ImportContext.getTargetDataSets). */
export function targetDataSets(state: Dhis2State, named: DataSet | undefined, de: string, ou: string): DataSet[] {
  if (named) return [named];
  return [...state.dataSets.values()].filter((d) => d.dataElements.includes(de) && d.organisationUnits.includes(ou));
}

/** Past the expiry days: both families take now after (last day 00:00) + expiryDays + 1 day. */
function expired(state: Dhis2State, ds: DataSet, period: string, ou: string): boolean {
  const days = periodDays(period);
  if (ds.expiryDays <= 0 || !days || ds.lockExceptions.has(`${ou}|${period}`)) return false;
  return state.now().getTime() > days.end + (ds.expiryDays + 1) * DAY_MS;
}

/** The first day of the latest open period: the current one shifted by openFuturePeriods - 1. */
const latestOpenStart = (state: Dhis2State, ds: DataSet) =>
  shiftPeriod(ds.periodType, periodStartAt(ds.periodType, state.now()), ds.openFuturePeriods - 1);

/** Whether the period ends after the latest open one (Period.isAfter compares end dates). */
function pastLatestOpen(state: Dhis2State, ds: DataSet, period: string): boolean {
  const days = periodDays(period);
  if (!days) return false;
  return days.end > shiftPeriod(ds.periodType, latestOpenStart(state, ds), 1) - DAY_MS;
}

const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const dateMs = (d: string | undefined) => (d ? Date.parse(`${d.slice(0, 10)}T00:00:00Z`) : undefined);

/** 2.42: one of the data set's input periods is this period, open today (dates inclusive, by day). */
function inputOpen42(state: Dhis2State, ds: DataSet, period: string): boolean {
  if (!ds.dataInputPeriods.length) return true;
  const today = dayOf(state.now().getTime());
  return ds.dataInputPeriods.some((p) => {
    const from = dateMs(p.openingDate);
    const to = dateMs(p.closingDate);
    return p.period === period && (from === undefined || today >= from) && (to === undefined || today <= to);
  });
}

/** 2.43: an explicit input period of this period spans now (DateRange.includes; dates at 00:00). */
function inputOpen43(state: Dhis2State, ds: DataSet, period: string): boolean {
  const now = state.now().getTime();
  return ds.dataInputPeriods.some((p) => {
    const from = dateMs(p.openingDate);
    const to = dateMs(p.closingDate);
    return p.period === period && (from === undefined || now >= from) && (to === undefined || now <= to);
  });
}

/** Up to 2.42: the value's org unit outside the user's capture hierarchy (E7617). */
export function hierarchyRefusal(
  state: Dhis2State,
  user: SeedUser | undefined,
  orgUnit: OrgUnit,
  orgUnitKey: string,
): EntryRefusal | undefined {
  if (!user || state.inCaptureHierarchy(user, orgUnit)) return undefined;
  const userUid = state.userUid(user);
  return {
    errorCode: 'E7617',
    value: `Organisation unit: \`${orgUnitKey}\` not in hierarchy of current user: \`${userUid}\``,
    property: 'orgUnit',
    objects: { organisationUnit: orgUnitKey, user: userUid },
  };
}

/** Up to 2.42: why one value may not be entered now (E7640, E7641, E7643), checked after its value. */
export function timelinessRefusal(
  state: Dhis2State,
  user: SeedUser | undefined,
  targets: DataSet[],
  v: { orgUnit: OrgUnit; period: string; dataElement: string },
  force: boolean,
): EntryRefusal | undefined {
  if (!targets.length || (force && user?.superuser)) return undefined;
  const mayEditExpired = !!user?.superuser;
  const lockedIn = targets.filter((ds) => !mayEditExpired && expired(state, ds, v.period, v.orgUnit.id));
  if (lockedIn.length === targets.length)
    return {
      errorCode: 'E7640',
      value: `Current date is past expiry days for period: \`${v.period}\`  and data set: \`${lockedIn[0].id}\``,
      property: 'period',
      objects: { period: v.period, dataSet: lockedIn[0].id },
    };
  const ahead = targets.find((ds) => pastLatestOpen(state, ds, v.period));
  if (ahead)
    return {
      errorCode: 'E7641',
      value: `Period: \`${v.period}\` is after latest open future period: \`${isoPeriod(ahead.periodType, latestOpenStart(state, ahead))}\` for data element: \`${v.dataElement}\` and data set: \`${ahead.id}\``,
      property: 'period',
      objects: { period: v.period, dataElement: v.dataElement, dataSet: ahead.id },
    };
  const closed = targets.filter((ds) => !inputOpen42(state, ds, v.period));
  if (closed.length === targets.length)
    return {
      errorCode: 'E7643',
      value: `Period: \`${v.period}\` is not open for this data set at this time: \`${closed[0].id}\``,
      property: 'period',
      objects: { period: v.period, dataSet: closed[0].id },
    };
  return undefined;
}

/** Up to 2.42: a named data set the user may not write aborts the import (E7601). */
export function dataSetWriteRefusal(state: Dhis2State, user: SeedUser | undefined, ds: DataSet | undefined) {
  if (!user || !ds || state.canDataWrite(user, ds)) return undefined;
  return {
    object: ds.id,
    objects: { dataSet: ds.id },
    value: `User does not have write access for DataSet: \`${ds.id}\``,
    errorCode: 'E7601',
    property: 'dataSet',
  };
}

/** 2.43: the group's access refusal (E8010, E8011), skipped for a superuser. */
export function groupAccessRefusal(
  state: Dhis2State,
  user: SeedUser | undefined,
  ds: DataSet,
  orgUnits: OrgUnit[],
): { errorCode: string; value: string; args: string[] } | undefined {
  if (!user || user.superuser) return undefined;
  if (!state.canDataWrite(user, ds))
    return { errorCode: 'E8010', value: `Current user cannot enter data for data set: \`${ds.id}\``, args: [ds.id] };
  const outside = orgUnits.filter((ou) => !state.inCaptureHierarchy(user, ou)).map((ou) => ou.id);
  if (outside.length)
    return {
      errorCode: 'E8011',
      value: `Current user cannot enter data for org unit(s): \`${list(outside)}\``,
      args: [list(outside)],
    };
  return undefined;
}

/** 2.43: a period outside an org unit's opening and closed dates (E8031, the first such org unit). */
export function orgUnitSpanRefusal(
  pairs: { orgUnit: OrgUnit; period: string }[],
): { errorCode: string; value: string; args: string[] } | undefined {
  const outside = pairs.filter(({ orgUnit, period }) => {
    const start = periodDays(period)?.start;
    if (start === undefined) return false;
    const opened = Date.parse(`${orgUnit.openingDate.slice(0, 10)}T00:00:00Z`);
    const closed = orgUnit.closedDate ? Date.parse(`${orgUnit.closedDate.slice(0, 10)}T00:00:00Z`) : undefined;
    return start < opened || (closed !== undefined && start > closed);
  });
  if (!outside.length) return undefined;
  const ou = outside[0].orgUnit.id;
  const periods = [...new Set(outside.filter((p) => p.orgUnit.id === ou).map((p) => p.period))];
  return {
    errorCode: 'E8031',
    value: `Untimely data entry for org unit ${ou} and period(s): \`${list(periods)}\``,
    args: [ou, list(periods)],
  };
}

/** 2.43: the group's timeliness refusal (E8030), skipped by a superuser's force. */
export function groupTimelinessRefusal(
  state: Dhis2State,
  user: SeedUser | undefined,
  ds: DataSet,
  pairs: { orgUnit: OrgUnit; period: string }[],
  force: boolean,
): { errorCode: string; value: string; args: string[] } | undefined {
  if (force && user?.superuser) return undefined;
  const refuse = (periods: string[]) => {
    const unique = [...new Set(periods)];
    return {
      errorCode: 'E8030',
      value: `Untimely data entry for data set ${ds.id} and period(s): \`${list(unique)}\``,
      args: [ds.id, list(unique)],
    };
  };
  const periods = [...new Set(pairs.map((p) => p.period))];
  if (ds.dataInputPeriods.length) {
    const inverted = /^2\.43\.[01](\.|$)/.test(state.version);
    const notOpen = periods.filter((p) => {
      if (!ds.dataInputPeriods.some((d) => d.period === p)) return true;
      return inverted ? inputOpen43(state, ds, p) : !inputOpen43(state, ds, p);
    });
    return notOpen.length ? refuse(notOpen) : undefined;
  }
  if (user?.superuser) return undefined;
  const noLongerOpen = pairs.filter((p) => expired(state, ds, p.period, p.orgUnit.id)).map((p) => p.period);
  if (noLongerOpen.length) return refuse(noLongerOpen);
  const notYetOpen = periods.filter((p) => pastLatestOpen(state, ds, p));
  return notYetOpen.length ? refuse(notYetOpen) : undefined;
}
