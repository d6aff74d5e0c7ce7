import t from 'tap';
import type { Test } from 'tap';
import {
  ADMIN_PASSWORD,
  LOC,
  MASTER_FACILITY_CODE,
  startOpenMrsSandbox,
  type OpenMrsSandbox,
} from '../../../../sandbox/openmrs/index.js';
import type { Facility } from '../../../../src/domain/index.js';
import type { UpstreamError } from '../../../../src/domain/errors.js';
import { createOpenMrsConnector } from '../../../../src/systems/openmrs/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { memoryJournal } from './journal.js';
import { recordUpstreamCalls } from './recording.js';

const CODE = DEFAULT_REGISTRY_CODE_SYSTEM;
const settingsFor = (sb: OpenMrsSandbox, extra: Record<string, unknown> = {}) => ({
  'openmrs.baseUrl': sb.url,
  'openmrs.username': 'admin',
  'openmrs.password': ADMIN_PASSWORD,
  'openmrs.timeoutMs': 3000,
  ...extra,
});
async function setup(
  t: Test,
  extra: Record<string, unknown> = {},
  sandboxOptions: Parameters<typeof startOpenMrsSandbox>[0] = {},
) {
  const sb = await startOpenMrsSandbox(sandboxOptions);
  const c = createOpenMrsConnector(settingsFor(sb, extra), { retryDelayMs: 10 });
  t.teardown(async () => {
    await c.close?.();
    await sb.close();
  });
  return { sb, c, facilities: c.facilities! };
}
async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error('expected a failure');
}
const pagesOf = (calls: { method: string; url: string }[]) =>
  calls.filter((c) => c.method === 'GET' && new URL(c.url).pathname.endsWith('/ws/rest/v1/location'));

t.test('reads: registry code as identifier, negative coordinates kept, no NaN, retired read as inactive', async (t) => {
  const { facilities } = await setup(t);
  const rio = await facilities.get(LOC.rioAzul);
  t.same(rio?.identifiers, [{ system: CODE, value: 'SBX-30001' }]);
  t.same(rio?.position, { latitude: -8.0476, longitude: -34.877 }, 'south and west');
  t.same((await facilities.get(LOC.lumley))?.position, { latitude: 8.4657, longitude: -13.2317 });
  t.equal((await facilities.get(LOC.blankCoords))?.position, undefined, 'blank strings');
  t.equal((await facilities.get(LOC.textCoords))?.position, undefined, 'non-numeric strings');
  t.equal((await facilities.get(LOC.closed))?.status, 'inactive');
  t.equal((await facilities.get(LOC.mwangaza))?.partOf, LOC.nairobiCounty);
  // OpenMRS resolves an unknown uuid by name; a FHIR id must never match a name
  t.equal(await facilities.get('Rio Azul Clinic'), undefined);
  t.equal(await facilities.get('00000000-0000-4000-8000-000000000000'), undefined, '404 → absent');
});

t.test('FHIR2 loses what REST keeps: the sandbox shows why the connector reads REST', async (t) => {
  const { sb, facilities } = await setup(t);
  const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
  const fhir = (await (
    await fetch(`${sb.url}/ws/fhir2/R4/Location/${LOC.rioAzul}`, { headers: auth })
  ).json()) as Record<string, unknown>;
  t.equal(fhir.identifier, undefined, 'no identifier');
  t.equal(fhir.position, undefined, 'both coordinates negative: no position at all');
  const lumley = (await (
    await fetch(`${sb.url}/ws/fhir2/R4/Location/${LOC.lumley}`, { headers: auth })
  ).json()) as Record<string, unknown>;
  t.same(lumley.position, { latitude: 8.4657 }, 'west of Greenwich: a half position (invalid R4)');
  const search = (await (await fetch(`${sb.url}/ws/fhir2/R4/Location?name=Old`, { headers: auth })).json()) as {
    total: number;
  };
  t.equal(search.total, 0, 'retired locations hidden from searches');
  const rest = await facilities.search({ name: 'Old' });
  t.same(
    rest.items.map((f) => [f.name, f.status]),
    [['Old Market Clinic', 'inactive']],
    'REST with includeAll sees it',
  );
});

t.test(
  'search pages with limit ≤ 100 by links[rel=next], retired included, only facility-tagged locations',
  async (t) => {
    const { facilities } = await setup(t, { 'openmrs.pageSize': 3 });
    const { result, calls } = await recordUpstreamCalls(() => facilities.search({}));
    const names = result.items.map((f) => f.name);
    t.equal(names.length, 8, 'every Facility/Login Location, retired included');
    t.notOk(
      names.includes('Nairobi County') || names.includes('Mwangaza Pharmacy'),
      'untagged locations are not facilities',
    );
    const pages = pagesOf(calls);
    t.equal(pages.length, 4, '10 locations in pages of 3');
    t.ok(
      pages.every(
        (p) =>
          new URL(p.url).searchParams.get('limit') === '3' && new URL(p.url).searchParams.get('includeAll') === 'true',
      ),
    );
    t.same(
      pages.map((p) => new URL(p.url).searchParams.get('startIndex')),
      ['0', '3', '6', '9'],
    );
  },
);

t.test(
  'links naming another host (webservices.rest.uriPrefix behind a proxy) are followed on our base URL',
  async (t) => {
    const { facilities } = await setup(
      t,
      { 'openmrs.pageSize': 4 },
      { uriPrefix: 'http://openmrs-internal:8080/openmrs/ws/rest/v1' },
    );
    const { result, calls } = await recordUpstreamCalls(() => facilities.search({}));
    t.equal(result.items.length, 8);
    t.ok(pagesOf(calls).every((p) => !p.url.includes('openmrs-internal')));
  },
);

t.test('criteria: identifier, status, partOf, type (tag), name, and _lastUpdated sees a retirement', async (t) => {
  const { sb, facilities } = await setup(t);
  t.same(
    (await facilities.search({ identifier: { system: CODE, value: 'SBX-10002' } })).items.map((f) => f.id),
    [LOC.kilima],
  );
  t.same((await facilities.search({ identifier: { system: 'urn:other', value: 'SBX-10002' } })).items, []);
  t.same(
    (await facilities.search({ status: 'inactive' })).items.map((f) => f.id),
    [LOC.closed],
  );
  t.same(
    (await facilities.search({ partOf: LOC.nairobiCounty })).items.map((f) => f.id),
    [LOC.mwangaza],
  );
  t.same((await facilities.search({ type: 'Login Location' })).items.map((f) => f.name).sort(), [
    'Kilima Dispensary',
    'Mwangaza Health Centre',
    'Rio Azul Clinic',
  ]);
  t.same((await facilities.search({ type: 'login location' })).items, [], 'a tag is matched as spelt, as a token');
  t.same(
    (await facilities.search({ name: 'mwangaza' })).items.map((f) => f.id),
    [LOC.mwangaza],
    'the pharmacy is not a facility',
  );
  const since = new Date(sb.store.now()).toISOString();
  t.same((await facilities.search({ lastUpdated: [{ from: since }] })).items, [], 'nothing changed yet');
  const res = await fetch(`${sb.url}/ws/rest/v1/location/${LOC.kilima}?reason=closed`, {
    method: 'DELETE',
    headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
  });
  t.equal(res.status, 204);
  t.same(
    (await facilities.search({ lastUpdated: [{ from: since }] })).items.map((f) => [f.id, f.status]),
    [[LOC.kilima, 'inactive']],
    'the deactivation shows in an incremental sync',
  );
});

const newClinic = (over: Partial<Facility> = {}): Facility => ({
  name: 'Esperanza Clinic',
  identifiers: [{ system: CODE, value: 'SBX-90001' }],
  status: 'active',
  kind: 'facility',
  position: { latitude: -12.0464, longitude: -77.0428 },
  address: { city: 'Lima', country: 'Peru' },
  partOf: LOC.nairobiCounty,
  ...over,
});

t.test('create, rename, retire, reactivate: each reaches OpenMRS once; a repeat changes nothing', async (t) => {
  const { sb, facilities } = await setup(t);
  const created = await facilities.upsert!(newClinic(), memoryJournal());
  t.equal(created.status, 'created');
  const uuid = created.ids.location;
  const read = await facilities.get(uuid);
  t.same(read?.identifiers, [{ system: CODE, value: 'SBX-90001' }], 'the code attribute was written with the location');
  t.same(read?.position, { latitude: -12.0464, longitude: -77.0428 });
  t.equal(read?.partOf, LOC.nairobiCounty);
  t.same(
    read?.types?.map((x) => x.code),
    ['Facility Location'],
    'tagged as a facility',
  );
  t.same(sb.store.writes, { 'location.create': 1 });

  t.equal((await facilities.upsert!(newClinic(), memoryJournal())).status, 'unchanged');
  t.same(sb.store.writes, { 'location.create': 1 }, 'the same facility again: no write');

  t.equal(
    (await facilities.upsert!(newClinic({ name: 'Esperanza Health Centre' }), memoryJournal())).status,
    'updated',
  );
  t.equal((await facilities.get(uuid))?.name, 'Esperanza Health Centre');
  t.equal(
    (await facilities.upsert!(newClinic({ name: 'Esperanza Health Centre', status: 'inactive' }), memoryJournal()))
      .status,
    'retired',
  );
  t.match(sb.store.locations.get(uuid), { retired: true, retireReason: /inactive in the facility registry/ });
  t.equal(
    (await facilities.upsert!(newClinic({ name: 'Esperanza Health Centre' }), memoryJournal())).status,
    'unretired',
  );
  t.equal((await facilities.get(uuid))?.status, 'active');
  t.same(sb.store.writes, { 'location.create': 1, 'location.update': 2, 'location.retire': 1, 'location.unretire': 1 });
});

t.test('a create whose answer was lost: the retry finds the location by its code, no twin', async (t) => {
  const { sb, facilities } = await setup(t);
  sb.faults.add({
    method: 'POST',
    path: '/openmrs/ws/rest/v1/location',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  const lost = await failure(facilities.upsert!(newClinic(), memoryJournal()));
  t.equal(lost.transient, true, 'a lost answer is transient: the outbox retries');
  t.equal(sb.store.writes['location.create'], 1, 'the upstream applied it');
  const retried = await facilities.upsert!(newClinic(), memoryJournal());
  t.equal(sb.store.writes['location.create'], 1, 'still one location');
  t.equal([...sb.store.locations.values()].filter((l) => l.name === 'Esperanza Clinic').length, 1);
  t.equal(retried.ids.location, [...sb.store.locations.values()].find((l) => l.name === 'Esperanza Clinic')!.uuid);
});

t.test('a crash between the steps: the journal keeps the location, the status step runs once', async (t) => {
  const { sb, facilities } = await setup(t);
  const journal = memoryJournal();
  sb.faults.add({
    method: 'DELETE',
    path: '/openmrs/ws/rest/v1/location/*',
    action: { type: 'status', status: 503 },
    times: 10,
  });
  await failure(facilities.upsert!(newClinic({ status: 'inactive' }), journal));
  t.ok(journal.steps.has('upsert-location'));
  t.notOk(journal.steps.has('location-status'));
  sb.faults.clear();
  const done = await facilities.upsert!(newClinic({ status: 'inactive' }), journal);
  t.equal(done.status, 'retired');
  t.same(sb.store.writes, { 'location.create': 1, 'location.retire': 1 });
});

t.test('a code changed in the registry is written through the attribute sub-resource (maxOccurs 1 kept)', async (t) => {
  const { sb, facilities } = await setup(t);
  const r = await facilities.upsert!(
    { ...(await facilities.get(LOC.kilima))!, identifiers: [{ system: CODE, value: 'SBX-10002-B' }] },
    memoryJournal(),
  );
  t.equal(r.ids.location, LOC.kilima, 'found by its id');
  t.same((await facilities.get(LOC.kilima))?.identifiers, [{ system: CODE, value: 'SBX-10002-B' }]);
  t.equal(sb.store.locations.get(LOC.kilima)!.attributes.filter((a) => !a.voided).length, 1);
  t.same(sb.store.writes, { 'attribute.update': 1 });
});

t.test('refusals: no code and no id, an area, a missing attribute type — nothing written', async (t) => {
  const { sb, facilities } = await setup(t, { 'openmrs.registryCodeAttributeType': 'KMHFL Code' });
  const noCode = await failure(facilities.upsert!(newClinic({ identifiers: [] }), memoryJournal()));
  t.equal(noCode.status, 422);
  t.match(noCode.message, /no identifier in .*registry-facility-code/);
  t.match(await failure(facilities.upsert!(newClinic({ kind: 'area' }), memoryJournal())), { status: 422 });
  const noType = await failure(facilities.upsert!(newClinic(), memoryJournal()));
  t.equal(noType.transient, false);
  t.match(noType.message, /OpenMRS has no location attribute type 'KMHFL Code' \(openmrs\.registryCodeAttributeType\)/);
  t.same(sb.store.writes, {});
});

t.test('an id OpenMRS does not have and no code: refused, not created under a uuid it cannot find again', async (t) => {
  // OpenMRS gives a new location a uuid of its own: created from this id alone, a retry after a
  // lost answer (or a kill) and every later PUT of the id would find nothing and create a twin
  const { sb, facilities } = await setup(t);
  const id = 'a3c1e2f0-9b8d-4c7e-a6f5-0123456789ab';
  const refused = await failure(facilities.upsert!(newClinic({ id, identifiers: [] }), memoryJournal()));
  t.equal(refused.status, 422);
  t.match(refused.message, /location a3c1e2f0-9b8d-4c7e-a6f5-0123456789ab is not in OpenMRS .*registry-facility-code/);
  t.same(sb.store.writes, {}, 'nothing created');
  const renamed = await failure(
    facilities.upsert!(newClinic({ id, identifiers: [], name: 'Esperanza Clinic II' }), memoryJournal()),
  );
  t.equal(renamed.status, 422, 'nor on the next PUT of the same id');
  t.same(sb.store.writes, {});
});

t.test('the sandbox FHIR2 pages like HAPI: next links into a FIFO of searches, 410 once evicted', async (t) => {
  const sb = await startOpenMrsSandbox({ fhirPagingCapacity: 2 });
  t.teardown(() => sb.close());
  const headers = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
  const get = async (u: string) => {
    const r = await fetch(u, { headers });
    return { status: r.status, body: (await r.json()) as any };
  };
  const first = await get(`${sb.url}/ws/fhir2/R4/Location?_count=4`);
  t.equal(first.body.total, 9, 'ten locations, the retired one hidden');
  t.equal(first.body.entry.length, 4);
  const next = first.body.link.find((l: any) => l.relation === 'next').url;
  t.match(next, /\/ws\/fhir2\/R4\?_getpages=[^&]+&_getpagesoffset=4&_count=4/);
  t.equal((await get(next)).body.entry.length, 4);
  await get(`${sb.url}/ws/fhir2/R4/Location?_count=4`);
  await get(`${sb.url}/ws/fhir2/R4/Location?_count=4`);
  t.equal((await get(next)).status, 410, 'evicted by two newer searches');
});

t.test("a name search finds an accented name whatever OpenMRS's own name match does with accents", async (t) => {
  const { sb, facilities } = await setup(t);
  sb.store.locations.get(LOC.kilima)!.name = 'Hôpital Kilima';
  t.same(
    (await facilities.search({ name: 'Hopital' })).items.map((f) => f.id),
    [LOC.kilima],
    'accents ignored',
  );
  t.same(
    (await facilities.search({ name: 'hÔpital' })).items.map((f) => f.id),
    [LOC.kilima],
    'and case',
  );
  t.same(
    (await facilities.search({ name: 'Kilima' })).items.map((f) => f.id),
    [LOC.kilima],
    'the start of a later word, as the other systems match',
  );
  t.same((await facilities.search({ name: 'ilima' })).items, [], 'not the middle of a word');
});

t.test(
  "a gateway's 200 maintenance page in place of a location or the attribute type: transient, nothing written",
  async (t) => {
    const MAINTENANCE = { type: 'status', status: 200, body: { message: 'maintenance' } } as const;
    const { sb, facilities } = await setup(t, { 'openmrs.registryCodeAttributeType': MASTER_FACILITY_CODE });
    const page = sb.faults.add({
      method: 'GET',
      path: `/openmrs/ws/rest/v1/location/${LOC.kilima}`,
      action: MAINTENANCE,
    });
    const read = await failure(facilities.get(LOC.kilima));
    t.equal(read.transient, true, `not "no such location": ${read.message}`);
    sb.faults.remove(page.id);
    t.equal((await facilities.get(LOC.kilima))?.id, LOC.kilima, 'read once OpenMRS answers');

    sb.faults.add({
      method: 'GET',
      path: `/openmrs/ws/rest/v1/locationattributetype/${MASTER_FACILITY_CODE}`,
      action: MAINTENANCE,
    });
    const written = await failure(facilities.upsert!(newClinic(), memoryJournal()));
    t.equal(written.transient, true, `retried, not refused: ${written.message}`);
    t.notMatch(written.message, /has no location attribute type/, 'no wrong diagnosis');
    t.same(sb.store.writes, {});
  },
);

// found by review RB: a gateway's page may carry a uuid of its own (a request id); only OpenMRS's
// name fallback (a location named as the uuid asked) answers another uuid and means "none"
t.test(
  "a gateway's page with a uuid of its own, in place of a location or the attribute type: transient",
  async (t) => {
    const PAGE_WITH_ID = {
      type: 'status',
      status: 200,
      body: { message: 'maintenance', uuid: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' },
    } as const;
    const { sb, facilities } = await setup(t, { 'openmrs.registryCodeAttributeType': MASTER_FACILITY_CODE });
    const page = sb.faults.add({
      method: 'GET',
      path: `/openmrs/ws/rest/v1/location/${LOC.kilima}`,
      action: PAGE_WITH_ID,
    });
    const read = await failure(facilities.get(LOC.kilima));
    t.equal(read.transient, true, `not "no such location": ${read.message}`);
    t.match(read.message, /answered another uuid/);
    t.notMatch(read.message, /f47ac10b/, "the page's own text not repeated");
    sb.faults.remove(page.id);
    t.equal((await facilities.get(LOC.kilima))?.id, LOC.kilima, 'read once OpenMRS answers');

    sb.faults.add({
      method: 'GET',
      path: `/openmrs/ws/rest/v1/locationattributetype/${MASTER_FACILITY_CODE}`,
      action: PAGE_WITH_ID,
    });
    const written = await failure(facilities.upsert!(newClinic(), memoryJournal()));
    t.equal(written.transient, true, `retried, not refused: ${written.message}`);
    t.notMatch(written.message, /has no location attribute type/, 'no wrong diagnosis');
    t.same(sb.store.writes, {});
  },
);

t.test('a location named as the uuid asked (OpenMRS falls back to the name) is none, not an outage', async (t) => {
  const { sb, facilities } = await setup(t);
  const asked = '0b9e4c57-7f1e-4d8a-9c55-3a1b2c3d4e5f';
  sb.store.locations.get(LOC.rioAzul)!.name = asked;
  t.equal(await facilities.get(asked), undefined, 'OpenMRS answered Rio Azul by its name: no location with that uuid');
});

// found by review S6: OpenMRS finds a uuid whatever its case (MySQL's collation), and answers the
// object's own, lower-case uuid; taken for a gateway's page, a location asked in capitals was an
// outage retried without end rather than OpenMRS's answer
t.test('a location asked by its uuid in capitals, answered with its own: not an outage', async (t) => {
  const { sb, facilities } = await setup(t);
  const asked = LOC.kilima.toUpperCase();
  sb.faults.add({
    method: 'GET',
    path: `/openmrs/ws/rest/v1/location/${asked}`,
    action: { type: 'status', status: 200, body: { uuid: LOC.kilima, display: 'Kilima', name: 'Kilima' } },
  });
  const read = await facilities.get(asked).then(
    () => undefined,
    (e: UpstreamError) => e,
  );
  t.equal(read, undefined, `OpenMRS's answer, not "another uuid": ${read?.message}`);
});

// found by review S6: OpenMRS finds a uuid whatever its case; the registry code's attribute type
// configured by its uuid in capitals (pasted so) read every location without its code
t.test("the registry code's attribute type set by its uuid in capitals: the code is read", async (t) => {
  const { facilities } = await setup(t, { 'openmrs.registryCodeAttributeType': MASTER_FACILITY_CODE.toUpperCase() });
  t.same((await facilities.get(LOC.rioAzul))?.identifiers, [{ system: CODE, value: 'SBX-30001' }]);
});

// found by review S6: `Location/<UUID IN CAPITALS>` read "none" (the answer's lower-case uuid was
// compared exactly), and a write naming its parent or itself so was refused; OpenMRS finds a uuid
// whatever its case (MySQL's default collation), as the sandbox now does
t.test('a location asked, written and named as parent by its uuid in capitals: that location', async (t) => {
  const { sb, facilities } = await setup(t);
  const read = await facilities.get(LOC.kilima.toUpperCase());
  t.equal(read?.id, LOC.kilima, "the location, under OpenMRS's own spelling of its uuid");
  t.same(
    (await facilities.search({ ids: [LOC.kilima.toUpperCase()] })).items.map((f) => f.id),
    [LOC.kilima],
  );

  const created = await facilities.upsert!(newClinic({ partOf: LOC.nairobiCounty.toUpperCase() }), memoryJournal());
  t.equal(created.status, 'created', 'the parent in capitals is an OpenMRS location');
  const made = sb.store.locations.get(created.ids.location)!;
  t.equal(made.parentUuid, LOC.nairobiCounty);

  const renamed = await facilities.upsert!(
    { ...(await facilities.get(LOC.kilima))!, id: LOC.kilima.toUpperCase(), name: 'Kilima Health Centre' },
    memoryJournal(),
  );
  t.equal(renamed.ids.location, LOC.kilima, 'the location itself, not a refusal or a twin');
  t.equal(sb.store.locations.get(LOC.kilima)!.name, 'Kilima Health Centre');
  t.same(sb.store.writes, { 'location.create': 1, 'location.update': 1 }, 'each write once');
});
