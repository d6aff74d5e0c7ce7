/**
 * FHIR search on a bad day: absurd or unusual client input (FHIR R4 search.html) against the real
 * Open mSupply connector and its sandbox, five stores (four active health-facility stores and the
 * central warehouse) and a clinic name. Each case is one an implementer met: a search that answers
 * something other than what was asked, or paging links a client follows for ever.
 */
import t from 'tap';
import { startMsupplyRig, toStore, type MsupplyRig } from '../../support/msupply-e2e.js';
import { why } from '../../support/openlmis-e2e.js';

let rig: MsupplyRig;
t.before(async () => {
  rig = await startMsupplyRig({ facilities: { default: 'msupply' } }, { OPENLMIS_BASE_URL: '' });
});
t.teardown(() => rig.close());

const ids = (body: any): string[] => (body.entry ?? []).map((e: any) => e.resource.id);
const linkOf = (body: any, relation: string): string | undefined =>
  body.link?.find((l: any) => l.relation === relation)?.url;

t.test('_count=0 answers the total alone, with no next link to follow for ever', async (t) => {
  const all = await rig.fhir('GET', '/fhir/Location');
  t.equal(all.status, 200, why(all));
  const res = await rig.fhir('GET', '/fhir/Location?_count=0');
  t.equal(res.status, 200, why(res));
  t.equal(res.body.total, all.body.total, 'the total of every match');
  t.same(ids(res.body), [], 'no entries');
  t.equal(linkOf(res.body, 'next'), undefined, 'no next link (it would be this page again)');
});

t.test('_sort by a key the type does not have is refused, not answered unsorted', async (t) => {
  for (const key of ['date', '-date']) {
    const res = await rig.fhir('GET', `/fhir/Location?_sort=${key}`);
    t.equal(res.status, 400, `_sort=${key}: ${why(res)}`);
    t.match(res.body.issue?.[0], { code: 'invalid', expression: ['_sort'] });
    t.match(why(res), /use _lastUpdated, _id, name/);
  }
  const byName = await rig.fhir('GET', '/fhir/Location?_sort=-name');
  t.equal(byName.status, 200, why(byName));
  const names = byName.body.entry.map((e: any) => e.resource.name.toLowerCase());
  t.same(names, [...names].sort().reverse(), 'a key it has still sorts');
});

t.test('status: a comma list is any of, a repeat is each of, as FHIR says', async (t) => {
  const active = await rig.fhir('GET', '/fhir/Location?status=active');
  t.equal(active.status, 200, why(active));
  t.ok(active.body.total > 0, 'some active stores');
  const anyOf = await rig.fhir('GET', '/fhir/Location?status=active,inactive');
  t.equal(anyOf.status, 200, why(anyOf));
  t.same(ids(anyOf.body), ids(active.body), 'active or inactive: every active store (none is inactive)');
  const eachOf = await rig.fhir('GET', '/fhir/Location?status=active&status=inactive');
  t.equal(eachOf.status, 200, why(eachOf));
  t.same(ids(eachOf.body), [], 'active and inactive at once: none');
  const inactive = await rig.fhir('GET', '/fhir/Location?status=inactive,suspended');
  t.same(ids(inactive.body), [], 'inactive or suspended: none');
});

t.test('a parameter of one value refuses a comma list or a repeat instead of answering nothing', async (t) => {
  for (const query of ['name=North,South', 'name=North&name=South', 'identifier=a,b']) {
    const res = await rig.fhir('GET', `/fhir/Location?${query}`);
    t.equal(res.status, 400, `${query}: ${why(res)}`);
    t.match(res.body.issue?.[0], { code: 'not-supported', expression: [query.split('=')[0]] });
  }
  const escaped = await rig.fhir('GET', `/fhir/Location?name=${encodeURIComponent('North\\,')}`);
  t.equal(escaped.status, 200, `an escaped comma is part of the value: ${why(escaped)}`);
  t.same(ids(escaped.body), [], 'no store name starts with "North,"');
  const north = await rig.fhir('GET', '/fhir/Location?name=North');
  t.same(ids(north.body), ['store-hc-north'], 'one value still matches');
});

t.test('identifier=system| (any value in a system) is refused, not answered empty', async (t) => {
  const all = await rig.fhir('GET', '/fhir/Location');
  const one = all.body.entry[0].resource.identifier[0];
  // FHIR: every store with an identifier in this system (all of them here); the systems match a
  // value only, so it answered 0 as a 200
  const res = await rig.fhir('GET', `/fhir/Location?identifier=${encodeURIComponent(`${one.system}|`)}`);
  t.equal(res.status, 400, `${one.system}|: ${why(res)}`);
  t.match(res.body.issue?.[0], { code: 'not-supported', expression: ['identifier'] });
  const exact = await rig.fhir('GET', `/fhir/Location?identifier=${encodeURIComponent(`${one.system}|${one.value}`)}`);
  t.equal(exact.status, 200, why(exact));
  t.ok(exact.body.total >= 1, 'system|value still matches');
});

t.test('item=system| on InventoryReport is refused, not answered with a report of no lines', async (t) => {
  const ms = await startMsupplyRig(
    { facilities: { default: 'msupply' }, stock: { ...toStore('store-hc-north'), default: null } },
    { OPENLMIS_BASE_URL: '' },
  );
  t.teardown(() => ms.close());
  const at = `location=${encodeURIComponent('Location/store-hc-north')}`;
  const all = await ms.fhir('GET', `/fhir/R5/InventoryReport?${at}`);
  t.equal(all.status, 200, why(all));
  const coding = all.body.entry[0].resource.inventoryListing[0].item[0].item.concept.coding[0];
  // FHIR: every stock line with a product code in that system (all of them here); the report
  // came back with none
  const anyInSystem = await ms.fhir(
    'GET',
    `/fhir/R5/InventoryReport?${at}&item=${encodeURIComponent(`${coding.system}|`)}`,
  );
  t.equal(anyInSystem.status, 400, why(anyInSystem));
  t.match(anyInSystem.body.issue?.[0], { code: 'not-supported', expression: ['item'] });
  const exact = await ms.fhir(
    'GET',
    `/fhir/R5/InventoryReport?${at}&item=${encodeURIComponent(`${coding.system}|${coding.code}`)}`,
  );
  t.equal(exact.status, 200, why(exact));
  t.ok(exact.body.entry[0].resource.inventoryListing[0].item.length >= 1, 'system|code still matches its line');
});
