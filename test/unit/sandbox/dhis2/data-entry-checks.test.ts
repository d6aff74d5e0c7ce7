/**
 * The DHIS2 sandbox's data entry timeliness and access checks (sandbox/dhis2/data-entry-checks.ts)
 * against what dhis2-core does: up to 2.42 per value (E7617, E7640, E7641, E7643; E7601 aborts
 * the set), from 2.43 per group (E8010, E8011, E8030, E8031), the clock and the administrator's
 * changes through the control API. The seed stays open: every existing test sends as before.
 */
import t, { type Test } from 'tap';
import { SEED_API_TOKEN, startDhis2Sandbox, type Dhis2Sandbox } from '../../../../sandbox/dhis2/index.js';

type Json = Record<string, any>;

async function sandbox(t: Test, version: string) {
  const sb = await startDhis2Sandbox({ version });
  t.teardown(() => sb.close());
  return sb;
}

async function call(
  sb: Dhis2Sandbox,
  method: string,
  path: string,
  body?: unknown,
  auth = `ApiToken ${SEED_API_TOKEN}`,
) {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

const admin = `Basic ${Buffer.from('admin:district').toString('base64')}`;
const set = (period: string, orgUnit = 'LK-HC-101', codes = ['FP_CNDM_SOH', 'EM_ORS_SOH']) => ({
  dataSet: 'LkStockMnth',
  period,
  orgUnit,
  dataValues: codes.map((dataElement, i) => ({ dataElement, value: String(10 + i) })),
});
const post = (sb: Dhis2Sandbox, body: unknown, auth?: string, force = false) =>
  call(
    sb,
    'POST',
    `/api/dataValueSets?dataElementIdScheme=CODE&orgUnitIdScheme=CODE${force ? '&force=true' : ''}`,
    body,
    auth,
  );
const codes = (r: { body: Json }) => (r.body.response.conflicts as Json[]).map((c) => c.errorCode);
const today = (sb: Dhis2Sandbox, now: string) => call(sb, 'PUT', '/_sandbox/clock', { now });

t.test('the seed is open: no expiry, future periods open, the user captures everywhere', async (t) => {
  for (const version of ['2.41.3', '2.43.0']) {
    const sb = await sandbox(t, version);
    t.equal((await post(sb, set('202401'))).status, 200, `${version}: a past period`);
    t.equal((await post(sb, set('203012'))).status, 200, `${version}: a period years ahead`);
    const me = await call(sb, 'GET', '/api/me');
    t.same(me.body.organisationUnits, [{ id: sb.state.summary().orgUnits.LKL }]);
  }
});

t.test('2.41: expiry days, lock exceptions, F_EDIT_EXPIRED', async (t) => {
  const sb = await sandbox(t, '2.41.3');
  t.equal((await call(sb, 'PATCH', '/_sandbox/dataSets/LMIS_STOCK_MONTHLY', { expiryDays: 10 })).status, 200);
  await today(sb, '2024-02-10T23:30:00Z');
  t.match(
    (await call(sb, 'GET', '/api/system/info')).body.serverDate,
    /^2024-02-10T23:30/,
    'the server date is the clock',
  );
  t.equal((await post(sb, set('202401'))).status, 200, 'open through the 10th day after the period');
  await today(sb, '2024-02-11T00:30:00Z');
  const late = await post(sb, set('202401'));
  t.equal(late.status, 409);
  t.equal(late.body.response.status, 'WARNING');
  t.same(late.body.response.conflicts, [
    {
      object: '202401',
      objects: { period: '202401', dataSet: 'LkStockMnth' },
      value: 'Current date is past expiry days for period: `202401`  and data set: `LkStockMnth`',
      errorCode: 'E7640',
      property: 'period',
      indexes: [0, 1],
    },
  ]);
  t.equal((await post(sb, set('202401'), admin)).status, 200, 'a superuser may edit expired periods');
  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', {
    lockExceptions: [{ orgUnit: 'LK-HC-101', period: '202401' }],
  });
  t.equal((await post(sb, set('202401'))).status, 200, 'a lock exception reopens it for that org unit');
  t.same(codes(await post(sb, set('202401', 'LK-HC-102'))), ['E7640'], 'and only for it');
});

t.test('2.41: open future periods and data input periods', async (t) => {
  const sb = await sandbox(t, '2.41.3');
  await today(sb, '2024-02-15T12:00:00Z');
  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', { openFuturePeriods: 0 });
  t.equal((await post(sb, set('202401'))).status, 200);
  const current = await post(sb, set('202402'));
  t.same(
    codes(current),
    ['E7641', 'E7641'],
    'openFuturePeriods 0: the current month is not open (one per data element)',
  );
  t.match(current.body.response.conflicts[0].value, /after latest open future period: `202401`/);
  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', { openFuturePeriods: 1 });
  t.equal((await post(sb, set('202402'))).status, 200, '1: the current month is');
  t.same(codes(await post(sb, set('202403'))), ['E7641', 'E7641'], 'the next is not');
  t.equal((await post(sb, set('202403'), admin, true)).status, 200, "a superuser's force skips it");

  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', {
    dataInputPeriods: [{ period: '202401', openingDate: '2024-02-01', closingDate: '2024-02-05' }],
  });
  t.same(codes(await post(sb, set('202401'))), ['E7643'], 'after the input period closed');
  await today(sb, '2024-02-05T18:00:00Z');
  t.equal((await post(sb, set('202401'))).status, 200, 'on its closing day');
  t.same(codes(await post(sb, set('202312'))), ['E7643'], 'a period without an input period');
});

t.test('2.41: capture org units (per value) and data write sharing (the whole set)', async (t) => {
  const sb = await sandbox(t, '2.41.3');
  t.equal((await call(sb, 'PATCH', '/_sandbox/users/mediator', { orgUnits: ['LKL-S'] })).status, 200);
  const outside = await post(sb, set('202401'));
  t.same(codes(outside), ['E7617']);
  t.match(
    outside.body.response.conflicts[0].value,
    /^Organisation unit: `LK-HC-101` not in hierarchy of current user: `\w{11}`$/,
  );
  t.equal((await post(sb, set('202401', 'LK-HC-104'))).status, 200, 'a facility below the region is');
  t.same((await call(sb, 'GET', '/api/me')).body.organisationUnits, [{ id: sb.state.summary().orgUnits['LKL-S'] }]);

  await call(sb, 'PATCH', '/_sandbox/users/mediator', { orgUnits: ['LKL'], dataSets: ['LkStockWkly'] });
  const noWrite = await post(sb, set('202401'));
  t.equal(noWrite.status, 409);
  t.equal(noWrite.body.response.status, 'ERROR');
  t.equal(noWrite.body.response.description, 'Import process was aborted');
  t.same(codes(noWrite), ['E7601']);
  t.same(noWrite.body.response.importCount, { imported: 0, updated: 0, ignored: 0, deleted: 0 });
  const { dataSet: _named, ...unnamed } = set('202401');
  t.equal((await post(sb, unnamed)).status, 200, 'no data set named: not checked');
});

t.test('2.43: access and timeliness refuse the whole group', async (t) => {
  const sb = await sandbox(t, '2.43.0');
  await today(sb, '2024-03-01T00:00:00Z');
  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', { expiryDays: 10 });
  const late = await post(sb, set('202401'));
  t.equal(late.status, 409);
  t.equal(late.body.response.status, 'ERROR');
  t.same(late.body.response.conflicts, [
    {
      objects: { args: 'LkStockMnth-[202401]' },
      value: 'Untimely data entry for data set LkStockMnth and period(s): `[202401]`',
      errorCode: 'E8030',
      indexes: [0, 1],
    },
  ]);
  t.equal((await post(sb, set('202401'), admin)).status, 200, 'F_EDIT_EXPIRED');
  t.equal((await post(sb, set('202402'))).status, 200, 'February is still open on 1 March');

  await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', {
    dataInputPeriods: [{ period: '202402', openingDate: '2024-02-01', closingDate: '2024-03-05' }],
  });
  t.same(codes(await post(sb, set('202401'), admin)), ['E8030'], 'explicit input periods bind a superuser too');
  t.equal((await post(sb, set('202401'), admin, true)).status, 200, 'unless forced');
  // 2.43.0 and 2.43.1 test input periods inverted (DHIS2-21981, fixed on main after 2.43.1)
  t.same(codes(await post(sb, set('202402'))), ['E8030'], '2.43.0: an open input period is refused');
  await today(sb, '2024-03-06T12:00:00Z');
  t.equal((await post(sb, set('202402'))).status, 200, '2.43.0: and a closed one taken');
  await call(sb, 'PUT', '/_sandbox/version', { version: '2.43.2' });
  t.same(codes(await post(sb, set('202402'))), ['E8030'], 'fixed: a closed input period is refused');
  await today(sb, '2024-03-01T00:00:00Z');
  t.equal((await post(sb, set('202402'))).status, 200, 'fixed: an open one taken');

  await call(sb, 'PATCH', '/_sandbox/users/mediator', { orgUnits: ['LKL-S'] });
  const outside = await post(sb, set('202402'));
  t.same(codes(outside), ['E8011']);
  t.equal(
    outside.body.response.conflicts[0].value,
    `Current user cannot enter data for org unit(s): \`[${sb.state.summary().orgUnits['LK-HC-101']}]\``,
  );
  await call(sb, 'PATCH', '/_sandbox/users/mediator', { orgUnits: ['LKL'], dataSets: [] });
  t.same(codes(await post(sb, set('202402'))), ['E8010']);
  t.same(codes(await post(sb, { ...set('202402'), dataSet: 'NoSuchSet01' })), ['E8005']);
  await call(sb, 'PATCH', '/_sandbox/users/mediator', { dataSets: null });
  t.same(codes(await post(sb, set('202402', 'LK-HC-105'))), ['E8031'], 'an org unit closed before the period');
});

t.test('control API refuses what it cannot apply', async (t) => {
  const sb = await sandbox(t, '2.41.3');
  t.equal((await call(sb, 'PUT', '/_sandbox/clock', { now: 'soon' })).status, 400);
  t.equal((await call(sb, 'PATCH', '/_sandbox/dataSets/nope', {})).status, 404);
  t.equal((await call(sb, 'PATCH', '/_sandbox/dataSets/LkStockMnth', { expiryDays: 'ten' })).status, 400);
  t.equal((await call(sb, 'PATCH', '/_sandbox/users/mediator', { orgUnits: ['NOWHERE'] })).status, 400);
  t.equal((await call(sb, 'PATCH', '/_sandbox/users/nobody', {})).status, 404);
});
