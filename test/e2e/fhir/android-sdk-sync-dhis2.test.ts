/**
 * A day of Android FHIR SDK sync replayed against DHIS2 (issue 16 "Must show": the harness on each
 * connector). The real mediator with the DHIS2 sandbox as its only system: facilities are org
 * units, stock counts are data values. Download (paged `_lastUpdated=gt…&_sort=_lastUpdated`,
 * following `next`), a facility renamed by JSON Patch, a month's count PUT under the app's id, a
 * Bundle of a count and a Binary PATCH, a facility DELETE, then the whole upload again: each
 * checked against what the DHIS2 sandbox holds, nothing applied twice. (DHIS2 serves no
 * SupplyRequest yet: its RTS requisition program is not wired as orders.)
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startDhis2Rig } from '../../support/dhis2-e2e.js';
import { binary, download, patchHeaders, putTransaction } from '../../support/android-sdk.js';
import { why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const CONDOM = '10860012300034';
const DMPA = '10860012300027';

function count(id: string, reference: string, location: string, items: [string, number][]): any {
  return {
    resourceType: 'InventoryReport',
    id,
    identifier: [{ system: 'https://mobile.example.org/counts', value: reference }],
    status: 'active',
    countType: 'snapshot',
    reportedDateTime: '2024-04-02T09:00:00Z',
    reportingPeriod: { start: '2024-03-01T00:00:00Z', end: '2024-03-31T23:59:59Z' },
    inventoryListing: [
      {
        location: { reference: `Location/${location}` },
        countingDateTime: '2024-03-31T16:00:00+02:00',
        item: items.map(([gtin, value]) => ({
          item: { concept: { coding: [{ system: GTIN, code: gtin }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        })),
      },
    ],
  };
}

t.test('a day of Android FHIR SDK sync against DHIS2', async (t) => {
  const rig = await startDhis2Rig({ facilities: { default: 'dhis2' }, stock: { default: 'dhis2' } });
  t.teardown(() => rig.close());
  const { dhis2 } = rig;
  const ou = dhis2.state.summary().orgUnits;
  const writesToOrgUnits = () =>
    [...dhis2.state.hits]
      .filter(([k]) => /^(POST|PUT|PATCH|DELETE) \/api\/organisationUnits/.test(k))
      .reduce((n, [, hits]) => n + hits, 0);
  const value = (orgUnit: string, de: string) =>
    dhis2.state.dataValues.get(
      dhis2.state.valueKey({
        dataElement: dhis2.state.summary().dataElements[de],
        period: '202403',
        orgUnit,
        categoryOptionCombo: 'HllvX50cXC0',
        attributeOptionCombo: 'HllvX50cXC0',
      }),
    )?.value;

  // morning: the first download brings every org unit, page by page
  const first = await download(rig, '1970-01-01T00:00:00Z');
  t.ok(
    [...dhis2.state.orgUnits.keys()].every((id) => first.ids.includes(id)),
    `every org unit (${first.pages} pages)`,
  );
  t.equal(new Set(first.ids).size, first.ids.length, 'none twice');
  t.notMatch(first.latest, /^1970/, 'stamped, never 1970');
  t.same((await download(rig, first.latest)).ids, [], 'nothing changed since the morning');

  // a facility renamed on the phone: a JSON Patch made from the downloaded version
  const hc101 = ou['LK-HC-101'];
  const renamed = await rig.fhir(
    'PATCH',
    `/fhir/Location/${hc101}`,
    [{ op: 'replace', path: '/name', value: 'Mberewa Health Centre II' }],
    { ...patchHeaders, 'if-match': `W/"${first.etags.get(hc101)}"` },
  );
  t.equal(renamed.status, 200, why(renamed));
  t.equal(dhis2.state.orgUnits.get(hc101)!.name, 'Mberewa Health Centre II', 'renamed in DHIS2');
  // vread: the version the answer names is served; the version the phone had is gone (410)
  const current = await rig.fhir('GET', `/fhir/Location/${hc101}/_history/${renamed.body.meta.versionId}`);
  t.equal(current.status, 200, `the current version by vread: ${why(current)}`);
  t.equal(current.body.name, 'Mberewa Health Centre II');
  const older = await rig.fhir('GET', `/fhir/Location/${hc101}/_history/${first.etags.get(hc101)}`);
  t.equal(older.status, 410, `an older version: ${why(older)}`);
  t.equal(older.body.resourceType, 'OperationOutcome');
  const midday = await download(rig, first.latest);
  t.same(midday.ids, [hc101], 'the midday download brings only the renamed facility');

  // March's count, PUT under the app's id
  const countId = randomUUID();
  const march = count(countId, 'SDK-DHIS2-CNT-1', hc101, [
    [CONDOM, 300],
    [DMPA, 45],
  ]);
  const counted = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, march);
  t.ok([201, 202].includes(counted.status), `PUT creates: ${why(counted)}`);
  const createdAt = new URL(counted.headers.get('location')!).pathname;
  t.match(createdAt, new RegExp(`^/fhir/R5/InventoryReport/${countId}/_history/`), 'Location names the version');
  await until('the values in DHIS2', async () => (value(hc101, 'FP_CNDM_SOH') === '300' ? true : undefined));
  t.equal(value(hc101, 'FP_DMPA_SOH'), '45', 'both lines are data values');
  const byLocation = await rig.fhir('GET', createdAt);
  t.equal(byLocation.status, 200, `the Location header can be read: ${why(byLocation)}`);
  t.equal(byLocation.body.id, countId);

  // the SDK's bundle upload: a second facility's count and a Binary PATCH of its Location
  const hc102 = ou['LK-HC-102'];
  const secondId = randomUUID();
  const bundle = putTransaction([count(secondId, 'SDK-DHIS2-CNT-2', hc102, [[CONDOM, 120]])]);
  bundle.entry.push({
    resource: binary([{ op: 'replace', path: '/name', value: 'Kasito Health Centre (renovated)' }]),
    request: { method: 'PATCH', url: `Location/${hc102}` },
  });
  const uploaded = await rig.fhir('POST', '/fhir/R5', bundle);
  t.equal(uploaded.status, 200, why(uploaded));
  t.same(
    uploaded.body.entry.map((e: any) => e.response.status.slice(0, 3)),
    ['201', '200'],
    'the count created, the facility updated',
  );
  await until('the second count in DHIS2', async () => (value(hc102, 'FP_CNDM_SOH') === '120' ? true : undefined));
  t.equal(dhis2.state.orgUnits.get(hc102)!.name, 'Kasito Health Centre (renovated)');

  // a facility deleted on the phone: closed in DHIS2, never removed
  const hc103 = ou['LK-HC-103'];
  const deleted = await rig.fhir('DELETE', `/fhir/Location/${hc103}`);
  t.equal(deleted.status, 200, why(deleted));
  t.ok(dhis2.state.orgUnits.get(hc103)?.closedDate, 'the org unit has a closedDate');
  t.equal((await rig.fhir('GET', `/fhir/Location/${hc103}`)).body.status, 'inactive');

  // the app lost every answer and uploads the whole day again: nothing happens twice in DHIS2
  const imports = dhis2.state.count('POST', '/api/dataValueSets');
  const orgUnitWrites = writesToOrgUnits();
  t.ok(
    imports >= 2 && orgUnitWrites >= 3,
    `the day's writes counted (${imports} imports, ${orgUnitWrites} org unit writes)`,
  );
  const values = dhis2.state.dataValues.size;
  const again = await rig.fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, march);
  t.equal(again.status, 200, `the repeated count changes nothing: ${why(again)}`);
  const bundleAgain = await rig.fhir('POST', '/fhir/R5', bundle);
  t.equal(bundleAgain.status, 200, why(bundleAgain));
  const deleteAgain = await rig.fhir('DELETE', `/fhir/Location/${hc103}`);
  t.equal(deleteAgain.status, 200, why(deleteAgain));
  await new Promise((r) => setTimeout(r, 500)); // let any queued write reach the sandbox before counting
  t.equal(dhis2.state.count('POST', '/api/dataValueSets'), imports, 'no second data value import');
  // the Binary PATCH again is a PUT of content DHIS2 already holds: the facility flow allows one
  // more idempotent write of the same content (its key names the version replaced), then none
  t.ok(writesToOrgUnits() <= orgUnitWrites + 1, 'at most one more org unit write, of the same content');
  t.equal(dhis2.state.orgUnits.get(hc102)!.name, 'Kasito Health Centre (renovated)', 'the name as it was');
  const settled = writesToOrgUnits();
  t.equal((await rig.fhir('POST', '/fhir/R5', bundle)).status, 200, 'and a third upload');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(writesToOrgUnits(), settled, 'writes no org unit at all');
  t.equal(dhis2.state.dataValues.size, values, 'the same data values');

  // evening download: the facilities changed since midday
  const evening = await download(rig, midday.latest);
  t.same(new Set(evening.ids), new Set([hc102, hc103]), 'the evening download brings the two changed since midday');
});
