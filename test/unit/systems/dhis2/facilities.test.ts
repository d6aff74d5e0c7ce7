import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { Facility } from '../../../../src/domain/index.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import {
  DHIS2_CODE_SYSTEM,
  DHIS2_ID_SYSTEM,
  deterministicUid,
  isUid,
} from '../../../../src/systems/dhis2/identifiers.js';
import { decodeOrgUnit, encodeOrgUnit } from '../../../../src/systems/dhis2/orgunit-codec.js';
import { amnesiacJournal, fixture, fixturesPresent, memoryJournal, startHarness, type Harness } from './harness.js';

const ctx = { facilityLevel: 4 };

t.test(
  'org unit fixtures decode: hierarchy, status, position [lon, lat], identifiers',
  { skip: !fixturesPresent && 'no ../shared/fixtures' },
  async (t) => {
    const single = decodeOrgUnit(fixture('orgunits/orgunit-single.json'), ctx);
    t.match(single, {
      id: 'FLjwMPWLrL2',
      name: 'Baomahun CHC',
      status: 'inactive',
      kind: 'facility',
      partOf: 'npWGUj37qDe',
      areaPath: ['Valunia', 'Bo', 'Sierra Leone'],
      position: { longitude: 9, latitude: 9 },
      source: { system: 'dhis2', id: 'FLjwMPWLrL2' },
      lastUpdated: '2014-11-25T09:37:54.154Z',
    });
    t.same(single.identifiers, [
      { system: DHIS2_ID_SYSTEM, value: 'FLjwMPWLrL2' },
      { system: DHIS2_CODE_SYSTEM, value: 'OU_1126' },
    ]);
    t.same(single.types, [
      { system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-orgunit-level', code: '4', display: undefined },
    ]);

    const legacy = decodeOrgUnit(fixture('orgunits/orgunit-single-legacy-coordinates.json'), ctx);
    t.same(
      legacy.position,
      { longitude: -11.6677, latitude: 8.4165 },
      'pre-2.32 coordinates string, negative longitude kept',
    );

    const [badjia, ngelehun] = fixture('orgunits/orgunits-list.json').organisationUnits.map((o: unknown) =>
      decodeOrgUnit(o, ctx),
    );
    t.match(badjia, {
      kind: 'area',
      status: 'active',
      partOf: 'O6uvpzGd5pu',
      position: { longitude: -11.618041992187502, latitude: 9.508486893003065 },
    });
    t.match(ngelehun, { kind: 'facility', status: 'inactive', partOf: 'YuQRtpLP10I' });

    const branch: Facility[] = fixture('orgunits/sierra-leone-branch.metadata.json').organisationUnits.map(
      (o: unknown) => decodeOrgUnit(o, ctx),
    );
    const byCode = new Map(branch.map((f) => [f.identifiers[1].value, f]));
    t.same(byCode.get('OU_559')!.position, { longitude: -11.4197, latitude: 8.1039 });
    t.equal(byCode.get('OU_539')!.position, undefined, 'a polygon is a boundary, not a position');
    t.equal(byCode.get('OU_167609')!.partOf, 'YuQRtpLP10I');
    t.equal(byCode.get('OU_525')!.partOf, undefined, 'the root has no parent');
    t.equal(byCode.get('OU_525')!.kind, 'area');
  },
);

t.test('encode: required fields, point geometry, close and reopen, legacy coordinates', async (t) => {
  const f: Facility = {
    identifiers: [],
    name: 'A very long facility name that needs a short name of fifty characters',
    status: 'active',
    kind: 'facility',
    position: { latitude: -15.2, longitude: 35.1 },
  };
  const body = encodeOrgUnit(f, { id: 'abcdefghij0', parentId: 'Pabcdefghij', today: '2024-05-01', geometry: true });
  t.same(body, {
    id: 'abcdefghij0',
    name: f.name,
    shortName: f.name.slice(0, 50),
    parent: { id: 'Pabcdefghij' },
    openingDate: '2024-05-01',
    geometry: { type: 'Point', coordinates: [35.1, -15.2] },
  });
  const closed = encodeOrgUnit(
    { ...f, status: 'inactive' },
    { id: 'abcdefghij0', today: '2024-06-01', geometry: true },
    { ...body, openingDate: '1990-01-01T00:00:00.000', level: 4, path: '/x' },
  );
  t.equal(closed.closedDate, '2024-06-01');
  t.equal(closed.openingDate, '1990-01-01T00:00:00.000', 'the opening date is kept');
  t.notOk('level' in closed || 'path' in closed, 'read-only views are not sent back');
  const reopened = encodeOrgUnit(f, { id: 'abcdefghij0', today: '2024-07-01', geometry: true }, closed);
  t.notOk('closedDate' in reopened);
  const old = encodeOrgUnit(f, { id: 'abcdefghij0', today: '2024-05-01', geometry: false });
  t.match(old, { featureType: 'POINT', coordinates: '[35.1,-15.2]' });
  t.equal(old.geometry, undefined);
});

t.test('deterministic UIDs are valid and stable', async (t) => {
  const a = deterministicUid('organisationUnit', 'registry-123');
  t.ok(isUid(a));
  t.equal(deterministicUid('organisationUnit', 'registry-123'), a);
  t.not(deterministicUid('organisationUnit', 'registry-124'), a);
});

async function capability(h: Harness) {
  return createFacilityCapability(h.client, createOrgUnitReader(h.client), { today: () => '2024-05-01' });
}

t.test('read and search against the sandbox', async (t) => {
  const h = await startHarness({}, { 'dhis2.pageSize': 3 });
  t.teardown(h.close);
  const caps = await capability(h);
  const ids = h.sandbox.state.summary().orgUnits;

  const hc101 = await caps.get(ids['LK-HC-101']);
  t.match(hc101, {
    name: 'Mberewa Health Centre',
    kind: 'facility',
    status: 'active',
    partOf: ids['LKL-N-MBR'],
    position: { longitude: 34.121, latitude: -10.412 },
  });
  t.same(hc101!.areaPath, ['Mberewa District', 'Northern Highlands Region', 'Lakeland']);
  t.equal(hc101!.types![0].display, 'Facility', 'the level name from organisationUnitLevels');
  const hitsBefore = h.sandbox.state.count('GET', '/api/organisationUnits/not-a-uid');
  t.equal(await caps.get('not-a-uid'), undefined);
  t.equal(
    h.sandbox.state.count('GET', '/api/organisationUnits/not-a-uid'),
    hitsBefore,
    'no call for an id that cannot be a UID',
  );
  t.equal(await caps.get('abcdefghij0'), undefined, '404 → absent');

  const names = async (c: Parameters<typeof caps.search>[0]) =>
    (await caps.search(c)).items.map((f) => f.identifiers.find((i) => i.system === DHIS2_CODE_SYSTEM)?.value).sort();
  t.same(await names({ name: 'mberewa' }), ['LK-DH-201', 'LK-HC-101', 'LKL-N-MBR']);
  t.same(await names({ partOf: ids['LKL-S-CHL'] }), ['LK-HC-104', 'LK-HC-105', 'LK-WH-302']);
  t.same(await names({ status: 'inactive' }), ['LK-HC-105']);
  t.same(await names({ identifier: { value: 'LK-HC-102' } }), ['LK-HC-102']);
  t.same(await names({ identifier: { system: DHIS2_CODE_SYSTEM, value: 'LK-HC-102' } }), ['LK-HC-102']);
  t.same(await names({ identifier: { system: DHIS2_ID_SYSTEM, value: ids['LK-HC-103'] } }), ['LK-HC-103']);
  t.same(await names({ identifier: { value: ids['LK-HC-103'] } }), ['LK-HC-103'], 'a bare value may be a UID');
  t.same(
    await names({ identifier: { system: 'urn:other', value: 'LK-HC-102' } }),
    [],
    'an identifier system DHIS2 does not hold matches nothing',
  );
  t.same(await names({ type: '2' }), ['LKL-N', 'LKL-S']);
  t.same(await names({ ids: [ids['LK-HC-104'], 'abcdefghij0'] }), ['LK-HC-104']);
  t.same(await names({ lastUpdated: [{ from: '2030-01-01T00:00:00Z' }] }), []);
  t.equal(
    (await caps.search({ lastUpdated: [{ to: '2030-01-01T00:00:00Z' }] })).items.length,
    h.sandbox.state.orgUnits.size,
  );
  t.equal(h.sandbox.state.pagingFalse, 0, 'never paging=false');
  const all = await caps.listAll!();
  t.equal(all.length, h.sandbox.state.orgUnits.size);
  t.same(all.filter((f) => f.kind === 'area').length, 6);
});

t.test(
  'upsert: create under a client UID, update, close; a retry after a lost answer creates nothing twice',
  async (t) => {
    const h = await startHarness();
    t.teardown(h.close);
    const caps = await capability(h);
    const ids = h.sandbox.state.summary().orgUnits;
    const before = h.sandbox.state.orgUnits.size;
    const registry: Facility = {
      id: 'mfr-0042',
      identifiers: [{ system: 'https://mfr.example.org/facility', value: 'MFR-0042' }],
      name: 'Lupembe Dispensary',
      status: 'active',
      kind: 'facility',
      partOf: ids['LKL-N-TSG'],
      position: { latitude: -11.3, longitude: 33.8 },
    };
    const uid = deterministicUid('organisationUnit', 'mfr-0042');

    // the create is applied, then its answer is lost; the outbox retries with a journal that did not record it
    h.sandbox.faults.add({
      method: 'POST',
      path: '/api/organisationUnits',
      times: 1,
      action: { type: 'afterApply', answer: { type: 'reset' } },
    });
    await t.rejects(caps.upsert!(registry, amnesiacJournal()));
    const first = await caps.upsert!(registry, amnesiacJournal());
    // the retry finds the org unit the lost answer made, as it would write it: nothing written again
    t.same(first, { system: 'dhis2', ids: { organisationUnit: uid }, status: 'unchanged' });
    t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 0, 'no PUT of what is there');
    t.equal(h.sandbox.state.orgUnits.size, before + 1, 'one org unit, not two');
    t.equal(h.sandbox.state.count('POST', '/api/organisationUnits'), 1);
    const stored = h.sandbox.state.orgUnits.get(uid)!;
    t.match(stored, {
      name: 'Lupembe Dispensary',
      shortName: 'Lupembe Dispensary',
      code: 'MFR-0042',
      parentId: ids['LKL-N-TSG'],
      openingDate: '2024-05-01T00:00:00.000',
      geometry: { type: 'Point', coordinates: [33.8, -11.3] },
    });

    const read = await caps.get(uid);
    t.match(read, {
      kind: 'facility',
      status: 'active',
      position: { latitude: -11.3, longitude: 33.8 },
      partOf: ids['LKL-N-TSG'],
    });

    const journal = memoryJournal();
    const closed = await caps.upsert!(
      { ...registry, name: 'Lupembe Dispensary (closed)', status: 'inactive' },
      journal,
    );
    t.equal(closed.status, 'updated');
    await caps.upsert!({ ...registry, status: 'inactive' }, journal);
    t.equal(
      h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`),
      1,
      'the journal keeps a completed step: no second PUT',
    );
    t.match(h.sandbox.state.orgUnits.get(uid), {
      name: 'Lupembe Dispensary (closed)',
      closedDate: '2024-05-01T00:00:00.000',
    });
    t.equal((await caps.get(uid))!.status, 'inactive');
    t.equal(h.sandbox.state.count('DELETE', `/api/organisationUnits/${uid}`), 0, 'closing never deletes');

    // a facility that came from DHIS2 keeps its UID
    const hc102 = (await caps.get(ids['LK-HC-102']))!;
    const renamed = await caps.upsert!(
      { ...hc102, name: 'Kasito Health Centre II', id: 'some-fhir-id' },
      amnesiacJournal(),
    );
    t.same(renamed.ids, { organisationUnit: ids['LK-HC-102'] });
    t.match(h.sandbox.state.orgUnits.get(ids['LK-HC-102']), {
      name: 'Kasito Health Centre II',
      code: 'LK-HC-102',
      parentId: ids['LKL-N-MBR'],
    });
  },
);

t.test('upsert refusals: unknown parent before any write; DHIS2 validation with its error code', async (t) => {
  const h = await startHarness();
  t.teardown(h.close);
  const caps = await capability(h);
  const ids = h.sandbox.state.summary().orgUnits;
  const orphan: Facility = {
    id: 'mfr-9',
    identifiers: [],
    name: 'Orphan',
    status: 'active',
    kind: 'facility',
    partOf: 'somewhere-else',
  };
  const err = await caps.upsert!(orphan, amnesiacJournal()).catch((e) => e);
  t.ok(err instanceof BusinessRuleError);
  t.same(err.issues[0].expression, ['Location.partOf']);
  t.equal(h.sandbox.state.count('POST', '/api/organisationUnits'), 0, 'nothing written');

  const twin: Facility = {
    id: 'mfr-10',
    identifiers: [{ system: DHIS2_CODE_SYSTEM, value: 'LK-HC-101' }],
    name: 'Twin',
    status: 'active',
    kind: 'facility',
    partOf: ids['LKL-N-MBR'],
  };
  const dup = await caps.upsert!(twin, amnesiacJournal()).catch((e) => e);
  t.equal(dup.status, 409);
  t.match(dup.message, /E5003.*LK-HC-101.*already exists/);
  const badUid = await caps.upsert!(
    { ...twin, identifiers: [{ system: DHIS2_ID_SYSTEM, value: 'bad' }] },
    amnesiacJournal(),
  ).catch((e) => e);
  t.same(badUid.issues[0].expression, ['Location.identifier']);
});

t.test('a name search finds what DHIS2 ilike misses: an accented name, a short name (alias)', async (t) => {
  const h = await startHarness({}, { 'dhis2.pageSize': 3 });
  t.teardown(h.close);
  const caps = await capability(h);
  const ids = h.sandbox.state.orgUnits;
  const uids = h.sandbox.state.summary().orgUnits;
  ids.get(uids['LK-HC-101'])!.name = 'Hôpital de Mberewa';
  ids.get(uids['LK-HC-102'])!.shortName = 'Kasito Clinique';
  const codes = async (name: string) =>
    (await caps.search({ name })).items.map((f) => f.identifiers.find((i) => i.system === DHIS2_CODE_SYSTEM)?.value);
  t.same(await codes('Hopital'), ['LK-HC-101'], 'accents ignored, as FHIR string search does');
  t.same(await codes('HÔPITAL'), ['LK-HC-101'], 'and case');
  t.same(await codes('clinique'), ['LK-HC-102'], 'the short name is an alias and matches');
  t.same(await codes('ospital'), [], 'still a start of a word, not any substring');
});
