import { randomUUID } from 'node:crypto';
import { DEFAULT_COC } from './seed.js';
import { stamp, type DataSet, type Dhis2State } from './state.js';
import { dataValueImportFailed, ImportFailure } from './import-failures.js';
import { errorMessage, webMessage } from './webmessage.js';
import {
  dataSetWriteRefusal,
  groupAccessRefusal,
  groupTimelinessRefusal,
  hierarchyRefusal,
  orgUnitSpanRefusal,
  targetDataSets,
  timelinessRefusal,
} from './data-entry-checks.js';

/**
 * `POST /api/dataValueSets` with DHIS2's ImportSummary semantics (docs.dhis2.org developer/web-api
 * data.md "Sending data values"; dhis2-core `dxf2/datavalueset/DefaultDataValueSetService`,
 * `feedback/ErrorCode.java` E76xx): each value checked on its own (unknown data element, org unit,
 * category option combo, period, value type), refused ones reported as conflicts with their
 * indexes (2.38+; only `object/value` before), unchanged ones counted `ignored`. A WARNING is a
 * 409 up to 2.42 and a 200 from 2.43; an ERROR is a 409. From 2.43 (SQL data entry) every accepted
 * value counts as `updated` and value conflicts use E81xx codes. Whether the user may capture
 * there and whether the period is open now: data-entry-checks.ts.
 */
type Json = Record<string, any>;

export interface ImportAnswer {
  status: number;
  body: Json;
}

const PERIOD_TYPES: Record<string, RegExp> = {
  Daily: /^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/,
  Weekly: /^\d{4}W([1-9]|[1-4]\d|5[0-3])$/,
  Monthly: /^\d{4}(0[1-9]|1[0-2])$/,
  BiMonthly: /^\d{4}0[1-6]B$/,
  Quarterly: /^\d{4}Q[1-4]$/,
  SixMonthly: /^\d{4}S[12]$/,
  Yearly: /^\d{4}$/,
};

export function periodTypeOf(period: string): string | undefined {
  return Object.entries(PERIOD_TYPES).find(([, re]) => re.test(period))?.[0];
}

function valueProblem(valueType: string, value: string): string | undefined {
  switch (valueType) {
    case 'INTEGER_ZERO_OR_POSITIVE':
      return /^(0|[1-9]\d*)$/.test(value) ? undefined : 'Data value is not a zero or positive integer';
    case 'INTEGER_POSITIVE':
      return /^[1-9]\d*$/.test(value) ? undefined : 'Data value is not a positive integer';
    case 'INTEGER_NEGATIVE':
      return /^-[1-9]\d*$/.test(value) ? undefined : 'Data value is not a negative integer';
    case 'INTEGER':
      return /^(0|-?[1-9]\d*)$/.test(value) ? undefined : 'Data value is not an integer';
    case 'NUMBER':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : 'Data value is not numeric';
    default:
      return undefined;
  }
}

const NUMERIC_TYPES = new Set([
  'NUMBER',
  'UNIT_INTERVAL',
  'PERCENTAGE',
  'INTEGER',
  'INTEGER_POSITIVE',
  'INTEGER_NEGATIVE',
  'INTEGER_ZERO_OR_POSITIVE',
]);

/**
 * dhis2-core ValidationUtils.dataValueIsZeroAndInsignificant: a zero of a numeric data element
 * whose zeroIsSignificant is false, unless it aggregates as an average.
 */
function zeroAndInsignificant(
  de: { valueType: string; zeroIsSignificant?: boolean; aggregationType: string },
  value: string,
): boolean {
  return (
    NUMERIC_TYPES.has(de.valueType) &&
    value.trim() !== '' &&
    Number(value) === 0 &&
    !de.zeroIsSignificant &&
    de.aggregationType !== 'AVERAGE' &&
    de.aggregationType !== 'AVERAGE_SUM_ORG_UNIT'
  );
}

interface Conflict {
  /** None in 2.43's decode refusals (DataEntrySummary.toConflict). */
  object?: string;
  objects?: Json;
  value: string;
  errorCode?: string;
  property?: string;
  indexes?: number[];
}

export const IMPORT_OPTIONS = (q: Json) => ({
  idSchemes: {},
  dryRun: q.dryRun === 'true',
  async: q.async === 'true',
  importStrategy: q.importStrategy ?? 'CREATE_AND_UPDATE',
  mergeMode: 'REPLACE',
  reportMode: 'FULL',
  skipExistingCheck: false,
  sharing: false,
  skipNotifications: false,
  skipAudit: false,
  datasetAllowsPeriods: false,
  strictPeriods: false,
  strictDataElements: false,
  strictCategoryOptionCombos: false,
  strictAttributeOptionCombos: false,
  strictOrganisationUnits: false,
  requireCategoryOptionCombo: false,
  requireAttributeOptionCombo: false,
  skipPatternValidation: false,
  ignoreEmptyCollection: false,
  force: false,
  firstRowIsHeader: true,
  skipLastUpdated: false,
  mergeDataValues: false,
  skipCache: false,
});

export function importDataValues(state: Dhis2State, body: Json, query: Json, userName: string): ImportAnswer {
  if (!body || typeof body !== 'object' || !Array.isArray(body.dataValues))
    throw errorMessage(400, 'Request body must be a data value set with a dataValues array');
  const major = state.major();
  const sql = major >= 43;
  try {
    state.importFailures.check();
  } catch (err) {
    // an async task reports the failure itself (ImportJobs); a synchronous import answers it
    if (err instanceof ImportFailure && query.async !== 'true')
      return dataValueImportFailed(major, err.reason, IMPORT_OPTIONS(query));
    throw err;
  }
  const scheme = (specific: string) =>
    String(body[specific] ?? query[specific] ?? body.idScheme ?? query.idScheme ?? 'UID').toUpperCase();
  const deScheme = scheme('dataElementIdScheme');
  const ouScheme = scheme('orgUnitIdScheme');
  const dryRun = query.dryRun === 'true' || body.dryRun === true;
  const strategy = String(query.importStrategy ?? body.importStrategy ?? 'CREATE_AND_UPDATE');
  const dataSet = body.dataSet
    ? [...state.dataSets.values()].find((d) => d.id === body.dataSet || d.code === body.dataSet)
    : undefined;
  const conflicts = new Map<string, Conflict>();
  const rejected: number[] = [];
  const count = { imported: 0, updated: 0, ignored: 0, deleted: 0 };
  const summary = (status: string, description: string) => ({
    responseType: 'ImportSummary',
    status,
    importOptions: IMPORT_OPTIONS(query),
    description,
    importCount: count,
    conflicts: [...conflicts.values()].map((c) => (major >= 38 ? c : { object: c.object, value: c.value })),
    ...(major >= 38 ? { rejectedIndexes: rejected } : {}),
    dataSetComplete: 'false',
  });

  const user = state.userNamed(userName);
  const force = query.force === 'true' || body.force === true;
  if (body.dataSet && !dataSet) {
    conflicts.set('ds', {
      object: String(body.dataSet),
      objects: { dataSet: String(body.dataSet) },
      value: sql
        ? `Data set not found: \`${body.dataSet}\``
        : `Data set not found or not accessible: \`${body.dataSet}\``,
      errorCode: sql ? 'E8005' : 'E7600',
      property: 'dataSet',
    });
    count.ignored = body.dataValues.length;
    return {
      status: 409,
      body: webMessage(409, 'ERROR', 'An error occurred, please check import summary.', {
        response: summary('ERROR', 'Import process completed with errors'),
      }),
    };
  }

  // up to 2.42 a named data set the user may not write aborts the import: nothing is counted
  const noWrite = sql ? undefined : dataSetWriteRefusal(state, user, dataSet);
  if (noWrite) {
    conflicts.set('ds', noWrite);
    return {
      status: 409,
      body: webMessage(409, 'ERROR', 'An error occurred, please check import summary.', {
        response: summary('ERROR', 'Import process was aborted'),
      }),
    };
  }

  const conflict = (
    i: number,
    kind: string,
    object: string,
    value: string,
    code: string,
    code43: string,
    property: string,
    objects: Json = { [kind]: object },
  ) => {
    const errorCode = sql ? code43 : code;
    const key = `${errorCode}|${object}|${value}`;
    const c = conflicts.get(key) ?? { object, objects, value, errorCode, property, indexes: [] };
    c.indexes!.push(i);
    conflicts.set(key, c);
    rejected.push(i);
    count.ignored++;
  };
  // one walk up the hierarchy per org unit, not per value (a national import names few)
  const hierarchy = new Map<string, ReturnType<typeof hierarchyRefusal>>();
  const outsideOf = (ou: Parameters<typeof hierarchyRefusal>[2], key: string) => {
    if (!hierarchy.has(`${ou.id}|${key}`)) hierarchy.set(`${ou.id}|${key}`, hierarchyRefusal(state, user, ou, key));
    return hierarchy.get(`${ou.id}|${key}`);
  };
  /** An access or timeliness conflict (data-entry-checks.ts): 2.42 codes only, 2.43 refuses the group first. */
  const refused = (i: number, r: { errorCode: string; value: string; property: string; objects: Json }) =>
    conflict(i, r.property, Object.values(r.objects)[0], r.value, r.errorCode, r.errorCode, r.property, r.objects);

  if (sql) {
    const refusal =
      decodeRefusal(state, body, deScheme, ouScheme) ??
      groupRefusal(state, body, dataSet, deScheme, ouScheme, { user, force });
    if (refusal) {
      conflicts.set('decode', refusal);
      rejected.push(...refusal.indexes!);
      return {
        status: 409,
        body: webMessage(409, 'ERROR', 'An error occurred, please check import summary.', {
          response: summary('ERROR', 'Import process completed with errors'),
        }),
      };
    }
  }

  (body.dataValues as Json[]).forEach((raw, i) => {
    const v = raw ?? {};
    const deKey = String(v.dataElement ?? '');
    const ouKey = String(v.orgUnit ?? body.orgUnit ?? '');
    const period = String(v.period ?? body.period ?? '');
    const coc = String(v.categoryOptionCombo ?? DEFAULT_COC);
    const aoc = String(v.attributeOptionCombo ?? body.attributeOptionCombo ?? DEFAULT_COC);
    const de = state.dataElementBy(deScheme, deKey);
    if (!de)
      return conflict(
        i,
        'dataElement',
        deKey,
        `Data element not found or not accessible: \`${deKey}\``,
        'E7610',
        'E8103',
        'dataElement',
      );
    const ou = state.orgUnitBy(ouScheme, ouKey);
    if (!ou)
      return conflict(
        i,
        'orgUnit',
        ouKey,
        `Organisation unit not found or not accessible: \`${ouKey}\``,
        'E7612',
        'E8107',
        'orgUnit',
      );
    const type = periodTypeOf(period);
    if (!type) return conflict(i, 'period', period, `Period not valid: \`${period}\``, 'E7611', 'E8021', 'period');
    if (dataSet && dataSet.periodType !== type) {
      return conflict(
        i,
        'period',
        period,
        `Period type of period: \`${period}\` not valid for data element: \`${de.id}\``,
        'E7632',
        'E8021',
        'period',
      );
    }
    // a COC must exist, and be one of the data element's own combo (dhis2-core DataValueSetImportValidator)
    if (!state.cocById(coc))
      return conflict(
        i,
        'categoryOptionCombo',
        coc,
        `Category option combo not found or not accessible for writing data: \`${coc}\``,
        'E7613',
        'E8108',
        'categoryOptionCombo',
      );
    if (!state.comboOf(de).categoryOptionCombos.some((o) => o.id === coc))
      return conflict(
        i,
        'categoryOptionCombo',
        coc,
        `Category option combo: \`${coc}\` must be part of category combo of data element: \`${de.id}\``,
        'E7634',
        'E8108',
        'categoryOptionCombo',
        { dataElement: de.id, categoryOptionCombo: coc },
      );
    if (aoc !== DEFAULT_COC)
      return conflict(
        i,
        'attributeOptionCombo',
        aoc,
        `Attribute option combo not found or not accessible for writing data: \`${aoc}\``,
        'E7615',
        'E8109',
        'attributeOptionCombo',
      );
    const outside = sql ? undefined : outsideOf(ou, ouKey);
    if (outside) return refused(i, outside);
    // 2.43 checked both for the whole group before any value (groupRefusal)
    const untimely = () =>
      sql
        ? undefined
        : timelinessRefusal(
            state,
            user,
            targetDataSets(state, dataSet, de.id, ou.id),
            { orgUnit: ou, period, dataElement: de.id },
            force,
          );
    const value = v.value === undefined || v.value === null ? '' : String(v.value);
    const key = state.valueKey({
      dataElement: de.id,
      period,
      orgUnit: ou.id,
      categoryOptionCombo: coc,
      attributeOptionCombo: aoc,
    });
    const existing = state.dataValues.get(key);
    if (strategy === 'DELETE') {
      const late = untimely();
      if (late) return refused(i, late);
      if (existing) {
        count.deleted++;
        if (!dryRun) state.dataValues.delete(key);
      } else count.ignored++;
      return;
    }
    if (value === '' && v.comment === undefined)
      return conflict(
        i,
        'dataElement',
        de.id,
        `Data value or comment not specified for data element: \`${de.id}\``,
        'E7618',
        'E8122',
        'value',
      );
    const problem = valueProblem(de.valueType, value);
    if (problem)
      return conflict(
        i,
        'value',
        de.id,
        `Value must match data element's \`${de.id}\` type constraints: ${problem}`,
        'E7619',
        'E8122',
        'value',
        { dataElement: de.id, value },
      );
    const late = untimely();
    if (late) return refused(i, late);
    // a zero DHIS2 does not keep: skipped and counted ignored, the stored value left as it was
    if (zeroAndInsignificant(de, value)) return void count.ignored++;
    // a value written without comment/followUp loses them: the import writes every column of a
    // value it updates (DefaultDataValueSetService.createDataValue + DataValueBatchHandler.getValues,
    // 2.38.0-2.42.5; HibernateDataEntryStore.upsertValues `comment = EXCLUDED.comment`, 2.43.0)
    const followup = v.followup === true || v.followUp === true;
    const comment = v.comment === undefined || v.comment === null ? undefined : String(v.comment);
    if (existing && existing.value === value && existing.comment === comment && existing.followup === followup) {
      if (sql) count.updated++;
      else count.ignored++;
      return;
    }
    if (existing && strategy === 'CREATE') return void count.ignored++;
    if (!existing && strategy === 'UPDATE') return void count.ignored++;
    if (existing || sql) count.updated++;
    else count.imported++;
    if (dryRun) return;
    const now = stamp();
    state.dataValues.set(key, {
      dataElement: de.id,
      period,
      orgUnit: ou.id,
      categoryOptionCombo: coc,
      attributeOptionCombo: aoc,
      value,
      comment,
      followup,
      storedBy: userName,
      created: existing?.created ?? now,
      lastUpdated: now,
    });
  });

  state.imports.push({
    values: body.dataValues.length,
    imported: count.imported,
    updated: count.updated,
    ignored: count.ignored,
  });
  const accepted = count.imported + count.updated + count.deleted;
  if (!conflicts.size)
    return {
      status: 200,
      body: webMessage(200, 'OK', 'Import was successful.', {
        response: summary('SUCCESS', 'Import process completed successfully'),
      }),
    };
  // up to 2.42 any conflict makes the summary a WARNING (even when every value was refused) and a
  // WARNING is a 409 (DefaultDataValueSetService.importDataValueSet, WebMessageUtils.importSummary,
  // tags 2.36.0–2.42.5); from 2.43 a WARNING is a 200 and none accepted is an ERROR
  // (DataEntrySummary.toImportSummary, tag 2.43.0)
  if (sql && accepted === 0)
    return {
      status: 409,
      body: webMessage(409, 'ERROR', 'An error occurred, please check import summary.', {
        response: summary('ERROR', 'Import process completed with errors'),
      }),
    };
  if (!sql)
    return {
      status: 409,
      body: webMessage(409, 'WARNING', 'One more conflicts encountered, please check import summary.', {
        response: summary('WARNING', 'Import process completed successfully'),
      }),
    };
  return {
    status: 200,
    body: webMessage(200, 'WARNING', 'Import completed with warnings, please check import summary.', {
      response: summary('WARNING', 'Import process completed successfully'),
    }),
  };
}

/**
 * 2.43 decodes every value's identifiers before importing any (DefaultDataEntryService.decodeGroup)
 * and a key that names nothing fails the whole import: a BadRequestException the pipeline turns
 * into an ERROR summary with one conflict at index -1 whose message names the value by position
 * ("Value #3 data element not found: `X`", ErrorCode E8103/E8107/E8108; DataEntryPipeline
 * .importInputGroups, DataEntrySummary.toConflict). Nothing is written.
 */
function decodeRefusal(state: Dhis2State, body: Json, deScheme: string, ouScheme: string): Conflict | undefined {
  const values = body.dataValues as Json[];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? {};
    const de = String(v.dataElement ?? '');
    const ou = String(v.orgUnit ?? body.orgUnit ?? '');
    const coc = v.categoryOptionCombo === undefined ? undefined : String(v.categoryOptionCombo);
    const refuse = (errorCode: string, what: string, key: string): Conflict => ({
      objects: { args: `${i}-${key}` },
      value: `Value #${i} ${what} not found: \`${key}\``,
      errorCode,
      indexes: [-1],
    });
    if (!state.dataElementBy(deScheme, de)) return refuse('E8103', 'data element', de);
    if (!state.orgUnitBy(ouScheme, ou)) return refuse('E8107', 'org unit', ou);
    if (coc !== undefined && coc !== '' && !state.cocById(coc)) return refuse('E8108', 'category option combo', coc);
  }
  return undefined;
}

/**
 * 2.43 checks a group's keys against its data set before importing any value
 * (DefaultDataEntryService.validate: autoTargetDataSet, validateKeyConsistency), and a mismatch
 * refuses the whole group, the conflict listing every value's index (DataEntryPipeline
 * .importGroups): no data set named and the data elements in none (E8003) or in more than one
 * (E8002, the data entry auto-group setting being off by default); a data element (E8020) or org
 * unit (E8022) the data set does not have, a period not of its type (E8021), a COC not of the data
 * element's combo (E8024). Up to 2.42 none of these is checked (org unit assignment only with
 * strictOrganisationUnits) or each is a value's own conflict.
 */
function groupRefusal(
  state: Dhis2State,
  body: Json,
  named: DataSet | undefined,
  deScheme: string,
  ouScheme: string,
  who: { user: ReturnType<Dhis2State['userNamed']>; force: boolean },
): Conflict | undefined {
  const values = body.dataValues as Json[];
  const indexes = values.map((_, i) => i);
  const refuse = (errorCode: string, value: string, args: unknown[]): Conflict => ({
    objects: { args: args.map(String).join('-') },
    value,
    errorCode,
    indexes,
  });
  const list = (ids: string[]) => `[${ids.join(', ')}]`;
  const des = [...new Set(values.map((v) => state.dataElementBy(deScheme, String(v.dataElement))!.id))];
  let ds = named;
  if (!ds) {
    const sets = [...state.dataSets.values()].filter((d) => des.some((de) => d.dataElements.includes(de)));
    const orphans = des.filter((de) => !sets.some((d) => d.dataElements.includes(de)));
    if (orphans.length)
      return refuse('E8003', `Data set detection failed, found no set for data element(s): \`${list(orphans)}\``, [
        list(orphans),
      ]);
    if (sets.length !== 1)
      return refuse('E8002', `Data set detection failed, found multiple sets: \`${list(sets.map((d) => d.id))}\``, [
        list(sets.map((d) => d.id)),
      ]);
    ds = sets[0];
  }
  const orgUnits = [
    ...new Map(
      values.map((v) => {
        const ou = state.orgUnitBy(ouScheme, String(v.orgUnit ?? body.orgUnit ?? ''))!;
        return [ou.id, ou] as const;
      }),
    ).values(),
  ];
  const access = groupAccessRefusal(state, who.user, ds, orgUnits);
  if (access) return refuse(access.errorCode, access.value, access.args);
  const outside = des.filter((de) => !ds.dataElements.includes(de));
  if (outside.length)
    return refuse('E8020', `Data set ${ds.id} not usable with data element(s): \`${list(outside)}\``, [
      ds.id,
      list(outside),
    ]);
  const ous = [...new Set(values.map((v) => state.orgUnitBy(ouScheme, String(v.orgUnit ?? body.orgUnit ?? ''))!.id))];
  const unassigned = ous.filter((ou) => !ds.organisationUnits.includes(ou));
  if (unassigned.length)
    return refuse('E8022', `Data set ${ds.id} not usable with org unit(s): \`${list(unassigned)}\``, [
      ds.id,
      list(unassigned),
    ]);
  const periods = [...new Set(values.map((v) => String(v.period ?? body.period ?? '')))];
  const offType = periods.filter((p) => periodTypeOf(p) !== ds.periodType);
  if (offType.length)
    return refuse('E8021', `Data set ${ds.id} not usable with period(s): \`${list(offType)}\``, [ds.id, list(offType)]);
  for (const v of values) {
    const de = state.dataElementBy(deScheme, String(v.dataElement))!;
    const coc = String(v.categoryOptionCombo ?? DEFAULT_COC);
    if (!state.comboOf(de).categoryOptionCombos.some((o) => o.id === coc))
      return refuse(
        'E8024',
        `Data set ${ds.id} not usable with data element ${de.id} and category option combo(s): \`${list([coc])}\``,
        [ds.id, de.id, list([coc])],
      );
  }
  const pairs = values.map((v) => ({
    orgUnit: state.orgUnitBy(ouScheme, String(v.orgUnit ?? body.orgUnit ?? ''))!,
    period: String(v.period ?? body.period ?? ''),
  }));
  const span = orgUnitSpanRefusal(pairs);
  if (span) return refuse(span.errorCode, span.value, span.args);
  const untimely = groupTimelinessRefusal(state, who.user, ds, pairs, who.force);
  if (untimely) return refuse(untimely.errorCode, untimely.value, untimely.args);
  return undefined;
}

/**
 * Async imports (`?async=true`, docs data.md "Asynchronous import"): answered at once with the
 * job (response-async-job-started.json), run in the background `delayMs` later; until then the
 * task's notifications (newest first) say it is running and there is no summary. An unknown task
 * has no notifications (an empty list, as DHIS2's notifier answers), which is also what a restart
 * leaves: job info is kept in memory only.
 */
interface TaskJob {
  created: string;
  finished?: string;
  summary?: Json;
  /** Why the task failed on its own. */
  error?: string;
}

export class ImportJobs {
  private readonly jobs = new Map<string, TaskJob>();

  constructor(private readonly delayMs = 20) {}

  /** `failed`: the summary a task that failed on its own leaves, per version (import-failures.ts). */
  start(run: () => ImportAnswer, failed: (reason: string) => Json | undefined): Json {
    const id = randomUUID().replace(/-/g, '').slice(0, 11).replace(/^\d/, 'j');
    const job: TaskJob = { created: stamp() };
    this.jobs.set(id, job);
    setTimeout(() => {
      try {
        job.summary = run().body.response;
      } catch (err) {
        job.error = err instanceof ImportFailure ? err.reason : (err as Error).message;
        job.summary = failed(job.error);
      }
      job.finished = stamp();
    }, this.delayMs).unref();
    return webMessage(200, 'OK', 'Initiated dataValueImport', {
      response: {
        name: 'dataValueImport',
        id,
        created: job.created,
        jobType: 'DATAVALUE_IMPORT',
        relativeNotifierEndpoint: `/api/system/tasks/DATAVALUE_IMPORT/${id}`,
      },
    });
  }

  notifications(id: string): Json[] {
    const job = this.jobs.get(id);
    if (!job) return [];
    const note = (n: number, time: string, message: string, completed: boolean, level = 'INFO') => ({
      uid: `${id.slice(0, 10)}${n}`,
      level,
      category: 'DATAVALUE_IMPORT',
      time,
      message,
      completed,
      id: `${id.slice(0, 10)}${n}`,
    });
    const started = [
      note(1, job.created, 'Importing data values', false),
      note(0, job.created, 'Process started', false),
    ];
    if (!job.finished) return started;
    const done = job.error
      ? note(2, job.finished, `Process failed: ${job.error}`, true, 'ERROR')
      : note(2, job.finished, 'Import done', true);
    return [done, ...started];
  }

  summary(id: string): Json | undefined {
    return this.jobs.get(id)?.summary;
  }

  /** Forget every job, as a server restart does. */
  forget(): void {
    this.jobs.clear();
  }
}

/** `GET /api/dataValueSets`: the stored values of a data set, period and org unit(s), named by the asked schemes. */
export function exportDataValues(state: Dhis2State, q: Json): Json {
  const many = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : String(v).split(','));
  const dataSets = many(q.dataSet);
  const periods = many(q.period);
  const orgUnits = many(q.orgUnit);
  if (!dataSets.length && !q.dataElementGroup)
    throw errorMessage(409, 'At least one valid data set or data element group must be specified');
  if (!periods.length && !(q.startDate && q.endDate) && !q.lastUpdated)
    throw errorMessage(409, 'At least one valid period, start/end dates or last updated must be specified');
  if (!orgUnits.length && !q.orgUnitGroup)
    throw errorMessage(409, 'At least one valid organisation unit or organisation unit group must be specified');
  const scheme = (specific: string) => String(q[specific] ?? q.idScheme ?? 'UID').toUpperCase();
  const sets = dataSets.map((k) => [...state.dataSets.values()].find((d) => d.id === k || d.code === k));
  if (sets.some((s) => !s))
    throw errorMessage(409, `Data set not found or not accessible: \`${dataSets.find((_, i) => !sets[i])}\``);
  const des = new Set(sets.flatMap((s) => s!.dataElements));
  const ous = orgUnits.map((k) => state.orgUnitBy(scheme('orgUnitIdScheme'), k) ?? state.orgUnits.get(k));
  if (ous.some((o) => !o))
    throw errorMessage(409, `Organisation unit not found or not accessible: \`${orgUnits.find((_, i) => !ous[i])}\``);
  const wanted = new Set(ous.map((o) => o!.id));
  if (q.children === 'true')
    for (const o of state.orgUnits.values()) if (state.ancestorsOf(o).some((a) => wanted.has(a.id))) wanted.add(o.id);
  const inDates = (p: string) =>
    !q.startDate ||
    periods.length > 0 ||
    (p >= String(q.startDate).replace(/-/g, '').slice(0, p.length) &&
      p <= String(q.endDate).replace(/-/g, '').slice(0, p.length));
  const deName = (id: string) =>
    scheme('dataElementIdScheme') === 'CODE' ? (state.dataElements.get(id)?.code ?? id) : id;
  const ouName = (id: string) => (scheme('orgUnitIdScheme') === 'CODE' ? (state.orgUnits.get(id)?.code ?? id) : id);
  const values = [...wanted]
    .flatMap((id) => state.dataValues.ofOrgUnit(id))
    .filter(
      (v) =>
        des.has(v.dataElement) &&
        wanted.has(v.orgUnit) &&
        (!periods.length || periods.includes(v.period)) &&
        inDates(v.period),
    )
    .map((v) => ({
      dataElement: deName(v.dataElement),
      period: v.period,
      orgUnit: ouName(v.orgUnit),
      categoryOptionCombo: v.categoryOptionCombo,
      attributeOptionCombo: v.attributeOptionCombo,
      value: v.value,
      storedBy: v.storedBy,
      created: `${v.created}+0000`,
      lastUpdated: `${v.lastUpdated}+0000`,
      ...(v.comment === undefined ? {} : { comment: v.comment }),
      followup: v.followup,
    }));
  const one = (list: string[]) => (list.length === 1 ? list[0] : undefined);
  return { dataSet: one(dataSets), period: one(periods), orgUnit: one(orgUnits), dataValues: values };
}
