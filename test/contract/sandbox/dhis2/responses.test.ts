import t, { type Test } from 'tap';
import { RTS, startDhis2Sandbox, SEED_API_TOKEN, type Dhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { fixture, fixturesPresent } from '../../../unit/systems/dhis2/harness.js';

/**
 * The sandbox answers like DHIS2: each response compared with the real payload in
 * ../shared/fixtures/dhis2 (dhis2-core, dhis2-docs and Android SDK test resources) for every key
 * the fixture has, recursively, with the same JSON type; lists compared item by item against the
 * fixture's first item. Keys the fixture has that DHIS2 omits when empty are named per case.
 */
type Json = Record<string, any>;
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function shapeProblems(expected: unknown, actual: unknown, at: string, optional: Set<string>): string[] {
  if (kind(expected) !== kind(actual)) return [`${at}: ${kind(actual)}, fixture has ${kind(expected)}`];
  if (Array.isArray(expected)) {
    const [e] = expected;
    if (e === undefined) return [];
    // same length: item by item (a list of different kinds, like RTS transactions); else each against the first
    const same = expected.length === (actual as unknown[]).length;
    return (actual as unknown[]).flatMap((a, i) => shapeProblems(same ? expected[i] : e, a, `${at}[${i}]`, optional));
  }
  if (expected && typeof expected === 'object') {
    return Object.entries(expected as Json).flatMap(([k, v]) => {
      const path = `${at}.${k}`;
      if (!(k in (actual as Json))) return optional.has(k) || optional.has(path) ? [] : [`${path}: missing`];
      return shapeProblems(v, (actual as Json)[k], path, optional);
    });
  }
  return [];
}

/** The fixture reduced to the keys a `fields=` list names (one level deep, with [sub] lists). */
function only(fields: string, value: Json): Json {
  const out: Json = {};
  for (const part of fields.match(/[^,[\]]+(\[[^\]]*\])?/g) ?? []) {
    const [, name, sub] = /^([^[]+)(?:\[(.*)\])?$/.exec(part)!;
    if (!(name in value)) continue;
    const v = value[name];
    out[name] = sub ? (Array.isArray(v) ? v.map((x) => only(sub, x)) : only(sub, v)) : v;
  }
  return out;
}

async function get(sb: Dhis2Sandbox, path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sb.url}${path}`, {
    ...init,
    headers: { authorization: `ApiToken ${SEED_API_TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: (await res.json()) as Json };
}

if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
} else {
  const check = (t: Test, expected: unknown, actual: unknown, optional: string[] = []) =>
    t.same(shapeProblems(expected, actual, '$', new Set(optional)), [], 'same shape as the fixture');

  t.test('organisation units', async (t) => {
    const sb = await startDhis2Sandbox();
    t.teardown(sb.close);
    const ids = sb.state.summary().orgUnits;
    const single = await get(sb, `/api/organisationUnits/${ids['LK-HC-101']}`);
    // an open org unit has no closedDate (DHIS2 leaves nulls out)
    check(t, fixture('orgunits/orgunit-single.json'), single.body, ['closedDate']);
    const closed = await get(sb, `/api/organisationUnits/${ids['LK-HC-105']}`);
    check(t, fixture('orgunits/orgunit-single.json'), closed.body, ['geometry']);

    const fields = 'id,code,name,shortName,level,path,parent[id],geometry,openingDate,closedDate,lastUpdated';
    const list = await get(
      sb,
      `/api/organisationUnits?fields=${encodeURIComponent(fields)}&filter=level:eq:3&pageSize=2`,
    );
    const expected = fixture('orgunits/orgunits-list.json').organisationUnits.map((o: Json) => only(fields, o));
    t.equal(list.body.organisationUnits.length, 2);
    for (const ou of list.body.organisationUnits) check(t, expected[0], ou);
    t.same(
      Object.keys(list.body.pager).sort(),
      ['nextPage', 'page', 'pageCount', 'pageSize', 'total'],
      'pager as common/Pager.java writes it',
    );

    const levels = await get(
      sb,
      '/api/organisationUnitLevels?fields=id,level,name,displayName,created,lastUpdated&paging=false',
    );
    check(t, fixture('orgunits/orgunit-levels.json'), levels.body);

    const old = await startDhis2Sandbox({ version: '2.31.0' });
    t.teardown(old.close);
    const legacy = await get(old, `/api/organisationUnits/${ids['LK-HC-101']}`);
    check(t, fixture('orgunits/orgunit-single-legacy-coordinates.json'), legacy.body, ['closedDate']);
    t.equal(legacy.body.geometry, undefined, 'no geometry before 2.32');
  });

  t.test('metadata', async (t) => {
    const sb = await startDhis2Sandbox();
    t.teardown(sb.close);
    const deFields = 'id,code,name,shortName,valueType,aggregationType,domainType,categoryCombo[id]';
    const des = await get(sb, `/api/dataElements?fields=${encodeURIComponent(deFields)}&pageSize=3`);
    check(t, only(deFields, fixture('metadata/data-elements.json').dataElements[0]), des.body.dataElements[0]);
    const dsFields = 'id,code,name,shortName,periodType,categoryCombo[id],dataSetElements[dataSet[id],dataElement[id]]';
    const ds = await get(sb, `/api/dataSets/LkStockMnth?fields=${encodeURIComponent(dsFields)}`);
    check(t, only(dsFields.replace('shortName,', ''), fixture('metadata/data-set.json')), ds.body);
    // category combos with their COCs, as the connector asks for them (category-combos.ts)
    const ccFields = 'id,code,name,isDefault,categoryOptionCombos[id,code,name]';
    const combos = await get(sb, `/api/categoryCombos?fields=${encodeURIComponent(ccFields)}`);
    const ccDoc = fixture('metadata/category-combos.json');
    for (const c of combos.body.categoryCombos) check(t, only(ccFields, ccDoc.categoryCombos[0]), c);
    const cocs = await get(sb, '/api/categoryOptionCombos?fields=id,code,name,categoryCombo[id]');
    for (const c of cocs.body.categoryOptionCombos)
      check(t, only('id,code,name,categoryCombo[id]', fixture('metadata/category-option-combo.json')), c);
    const deCombo = await get(
      sb,
      `/api/dataElements?filter=code:eq:FP_SOH&fields=${encodeURIComponent(`id,code,categoryCombo[${ccFields}]`)}`,
    );
    t.same(
      deCombo.body.dataElements[0].categoryCombo.categoryOptionCombos.map((c: Json) => c.code),
      ['FP_LNG30', 'FP_DMPA', 'FP_CNDM'],
      "a data element's combo expands as deep as fields asks",
    );
  });

  t.test('WebMessages', async (t) => {
    const sb = await startDhis2Sandbox();
    t.teardown(sb.close);
    const missing = await get(sb, '/api/organisationUnits/abcdefghij0');
    t.equal(missing.status, 404);
    check(t, fixture('webmessage/error-403.json'), missing.body);
    const token = await get(sb, '/api/apiToken', { method: 'POST', body: '{}' });
    t.equal(token.status, 201);
    check(t, fixture('webmessage/api-token-created-201.json'), token.body);
    t.match(token.body.response.key, /^d2pat_[A-Za-z0-9]{32}\d{10}$/);
  });

  t.test('dataValueSets', async (t) => {
    const sb = await startDhis2Sandbox({ version: '2.39.1' });
    t.teardown(sb.close);
    const body = (values: Json[]) => ({
      method: 'POST',
      body: JSON.stringify({ dataSet: 'LkStockMnth', period: '202401', orgUnit: 'LK-HC-101', dataValues: values }),
    });
    const ok = await get(
      sb,
      '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE',
      body([{ dataElement: 'FP_CNDM_SOH', value: '10' }]),
    );
    t.equal(ok.status, 200);
    check(t, fixture('datavaluesets/response-success-200.json'), ok.body);
    const warn = await get(
      sb,
      '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE',
      body([
        { dataElement: 'FP_CNDM_SOH', value: '11' },
        { dataElement: 'FP_CNDM_SOH_X', value: '1' },
        { dataElement: 'FP_DMPA_SOH', value: 'x' },
      ]),
    );
    // dhis2-core WebMessageUtils.importSummary: WARNING → CONFLICT up to tag 2.42.5, OK from 2.43.0
    t.equal(warn.status, 409, 'up to 2.42 a WARNING is a 409');
    check(t, fixture('datavaluesets/response-warning-409-legacy.json'), warn.body);
    t.equal(warn.body.status, 'WARNING');
    check(
      t,
      fixture('datavaluesets/import-conflict-v2.38plus.json'),
      warn.body.response.conflicts.find((c: Json) => c.errorCode === 'E7619'),
    );
    t.same(
      warn.body.response.conflicts.map((c: Json) => [c.errorCode, c.indexes]),
      [
        ['E7610', [1]],
        ['E7619', [2]],
      ],
    );

    const exported = await get(
      sb,
      '/api/dataValueSets?dataSet=LkStockMnth&period=202401&orgUnit=LK-HC-101&orgUnitIdScheme=CODE',
    );
    check(t, fixture('datavaluesets/export-monthly.json'), exported.body);
    const job = await get(
      sb,
      '/api/dataValueSets?async=true&dataElementIdScheme=CODE&orgUnitIdScheme=CODE',
      body([{ dataElement: 'FP_CNDM_SOH', value: '12' }]),
    );
    check(t, fixture('datavaluesets/response-async-job-started.json'), job.body);
    const task = job.body.response.relativeNotifierEndpoint as string;
    let notes = await get(sb, task);
    while (!notes.body.some((n: Json) => n.completed)) notes = await get(sb, task);
    check(t, fixture('tracker/job-notification.json'), notes.body[0], ['uid']);
    t.equal(notes.body[0].category, 'DATAVALUE_IMPORT');
    const summary = await get(sb, task.replace('/tasks/', '/taskSummaries/'));
    check(t, fixture('datavaluesets/response-success-200.json').response, summary.body);
    t.equal(summary.body.importCount.updated, 1, 'the task imported the value once done');

    const legacy = await startDhis2Sandbox({ version: '2.37.9' });
    t.teardown(legacy.close);
    const old = await get(
      legacy,
      '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE',
      body([
        { dataElement: 'FP_CNDM_SOH', value: '3' },
        { dataElement: 'FP_CNDM_SOH', value: '-1', period: '202402' },
      ]),
    );
    t.equal(old.status, 409, 'up to 2.37 a WARNING was a 409');
    check(t, fixture('datavaluesets/response-warning-409-legacy.json'), old.body);
    t.same(
      Object.keys(old.body.response.conflicts[0]).sort(),
      ['object', 'value'],
      'no errorCode or indexes before 2.38',
    );

    // every value refused: still a WARNING up to 2.42 (DefaultDataValueSetService sets WARNING on
    // any conflict), an ERROR from 2.43 when none succeeded (DataEntrySummary.toImportSummary)
    const refused = [{ dataElement: 'FP_CNDM_SOH', value: 'x' }];
    const allOld = await get(sb, '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE', body(refused));
    t.same([allOld.status, allOld.body.status, allOld.body.response.status], [409, 'WARNING', 'WARNING']);
    const sql = await startDhis2Sandbox({ version: '2.43.0' });
    t.teardown(sql.close);
    const part = await get(
      sql,
      '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE',
      body([{ dataElement: 'FP_CNDM_SOH', value: '4' }, ...refused]),
    );
    t.same([part.status, part.body.status, part.body.response.status], [200, 'WARNING', 'WARNING'], '2.43: 200');
    const none = await get(sql, '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE', body(refused));
    t.same([none.status, none.body.status, none.body.response.status], [409, 'ERROR', 'ERROR']);

    // a task or job the server does not know: 200 and nothing (SystemController.getTaskSummaryJson,
    // TrackerImportController.getJob)
    const headers = { authorization: `ApiToken ${SEED_API_TOKEN}` };
    const noSummary = await fetch(`${sb.url}/api/system/taskSummaries/DATAVALUE_IMPORT/Xunknown001`, { headers });
    t.same([noSummary.status, await noSummary.text()], [200, ''], 'no summary: 200 without a body');
    const noTask = await get(sb, '/api/system/tasks/DATAVALUE_IMPORT/Xunknown001');
    t.same([noTask.status, noTask.body], [200, []]);
    const noJob = await get(sb, '/api/tracker/jobs/Xunknown001');
    t.same([noJob.status, noJob.body], [200, []], 'no tracker job: 200 []');

    // an import that fails inside DHIS2 (import-failures.ts), asked for over HTTP: up to 2.42 a
    // 409 ERROR summary with no conflict, from 2.43 a 500
    const control = await fetch(`${sb.url}/_sandbox/import-failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, reason: 'deadlock detected' }),
    });
    t.equal(control.status, 201);
    const failed = await get(sb, '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE', body(refused));
    t.same(
      [failed.status, failed.body.status, failed.body.response.status, failed.body.response.conflicts],
      [409, 'ERROR', 'ERROR', []],
    );
    t.equal(failed.body.response.description, 'The import process failed: deadlock detected');
    check(t, fixture('datavaluesets/response-success-200.json').response, failed.body.response);
    await fetch(`${sql.url}/_sandbox/import-failures`, { method: 'POST' });
    const failed43 = await get(sql, '/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE', body(refused));
    t.same([failed43.status, failed43.body.status], [500, 'ERROR'], '2.43: a 500');
  });

  t.test('tracker and RTS', async (t) => {
    const old = await startDhis2Sandbox({ version: '2.39.1' });
    const sb = await startDhis2Sandbox({ version: '2.41.3' });
    t.teardown(async () => {
      await old.close();
      await sb.close();
    });
    const hc = sb.state.summary().orgUnits['LK-HC-101'];
    const useCases = await get(sb, '/api/dataStore/USE_CASES/stockUseCases');
    check(t, fixture('rts/datastore-USE_CASES-stockUseCases.json'), useCases.body);
    const fields =
      'event,status,program,programStage,enrollment,orgUnit,occurredAt,createdAt,updatedAt,dataValues[dataElement,value]';
    const page39 = await get(
      old,
      `/api/tracker/events?program=${RTS.program}&orgUnit=${hc}&fields=${encodeURIComponent(fields)}`,
    );
    const doc39 = fixture('tracker/export-events-page.json');
    check(t, { ...doc39, instances: doc39.instances.map((e: Json) => only(fields, e)) }, page39.body);
    t.notOk('pager' in page39.body, 'before 2.41: page, pageSize, instances');
    const page41 = await get(
      sb,
      `/api/tracker/events?program=${RTS.program}&orgUnit=${hc}&fields=${encodeURIComponent(fields)}`,
    );
    const doc41 = fixture('tracker/export-events-page-v41plus-docs.json');
    check(t, { ...doc41, events: doc41.events.map((e: Json) => only(fields, e)) }, page41.body);
    const te = sb.tracker.teOf(hc, 'EM_ORS')!;
    const event = (uid: string, enrollment: string) => ({
      event: uid,
      program: RTS.program,
      programStage: RTS.stage,
      orgUnit: hc,
      enrollment,
      occurredAt: '2024-03-02T00:00:00.000',
      status: 'COMPLETED',
      dataValues: [{ dataElement: RTS.stockCount, value: '5' }],
    });
    const ok = await get(sb, '/api/tracker?async=false', {
      method: 'POST',
      body: JSON.stringify({ events: [event('abcdefghij5', te.enrollment)] }),
    });
    // the Android SDK's fixtures predate 2.41, whose object reports (Entity.java) have no index
    check(t, fixture('tracker/import-report-event-ok.json'), ok.body, ['index']);
    const bad = await get(sb, '/api/tracker?async=false', {
      method: 'POST',
      body: JSON.stringify({ events: [event('abcdefghij6', 'nosuchenrol')] }),
    });
    t.equal(bad.status, 409);
    check(t, fixture('tracker/import-report-event-error.json'), bad.body, ['message']);
    // the async answer: the Android SDK's (with responseType) before 2.41, the current docs' from 2.41
    const oldTe = old.tracker.teOf(hc, 'EM_ORS')!;
    const oldJob = await get(old, '/api/tracker', {
      method: 'POST',
      body: JSON.stringify({ events: [event('abcdefghij8', oldTe.enrollment)] }),
    });
    check(t, fixture('tracker/post-async-job-response.json'), oldJob.body);
    const job = await get(sb, '/api/tracker', {
      method: 'POST',
      body: JSON.stringify({ events: [event('abcdefghij7', te.enrollment)] }),
    });
    check(t, fixture('tracker/post-async-job-response-docs.json'), job.body);
    t.notOk('responseType' in job.body.response);
    const path = new URL(job.body.response.location).pathname;
    let notifications = await get(sb, path);
    while (!notifications.body.some((n: Json) => n.completed)) notifications = await get(sb, path);
    check(t, fixture('tracker/job-notifications-list.json'), notifications.body);
    check(t, fixture('tracker/job-notification.json'), notifications.body[0]);
    const report = await get(sb, `${path}/report`);
    check(t, fixture('tracker/job-report-success.json'), report.body, ['message', 'timingsStats', 'index']);
  });
}
