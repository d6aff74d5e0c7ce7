import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/errors.js';
import type { Facility } from '../../../../src/domain/index.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { createFacilityCapability } from '../../../../src/systems/openlmis/facility/facilities.js';
import { FACILITY_CODE_SYSTEM, ZONE_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { stableId } from '../../../../sandbox/openlmis/index.js';
import { failure, startClientHarness } from './client-harness.js';

/** A journal that remembers nothing: every run is a first run, as after a crash before the record. */
const amnesiacJournal = (): StepJournal => ({ idempotencyKey: 'test', run: (_step, action) => action() });
const zoneId = (code: string) => stableId(`zone:${code}`);

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const h = await startClientHarness();
  t.teardown(h.close);
  const refs = createReferenceData(h.client, 60_000);
  return { h, cap: createFacilityCapability(h.client, refs) };
}

t.test('a facility reads as a Location with every mapped field', async (t) => {
  const { h, cap } = await setup(t);
  const f = await cap.get(h.seed.facilities['LK-HC-101']);
  t.match(f, {
    id: h.seed.facilities['LK-HC-101'],
    kind: 'facility',
    name: 'Mberewa Health Centre',
    status: 'active',
    identifiers: [{ system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' }],
    types: [{ code: 'health_center', display: 'Health Center' }],
    operator: { code: 'moh', display: 'Ministry of Health' },
    position: { longitude: 34.121, latitude: -10.412 },
    partOf: zoneId('LKL-N-MBR'),
    areaPath: ['Mberewa District', 'Northern Highlands Region', 'Lakeland'],
    programs: ['FP01', 'EM01', 'IMM1'],
  });
  t.equal((await cap.get(h.seed.facilities['LK-HC-105']))?.status, 'inactive', 'active=false, enabled=false');
  t.equal(await cap.get('not-a-uuid'), undefined);
  t.equal(await cap.get('00000000-0000-4000-8000-000000000000'), undefined);
});

t.test('a zone reads as an area Location under its parent zone', async (t) => {
  const { cap } = await setup(t);
  const z = await cap.get(zoneId('LKL-S-CHL-TWN'));
  t.match(z, {
    kind: 'area',
    name: 'Chilanga Town',
    identifiers: [{ system: ZONE_CODE_SYSTEM, value: 'LKL-S-CHL-TWN' }],
    partOf: zoneId('LKL-S-CHL'),
    position: { latitude: -15.05, longitude: 35.32 },
    types: [{ code: 'City' }],
  });
  t.equal((await cap.get(zoneId('LKL')))?.partOf, undefined, 'the country has no parent');
});

t.test('search: exact identifier, name, partOf, status, type, paging', async (t) => {
  const { h, cap } = await setup(t);
  const codes = (p: { items: Facility[] }) => p.items.map((f) => f.identifiers[0].value).sort();
  t.same(
    codes(await cap.search({ identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-10' } })),
    [],
    'substring is not a match',
  );
  t.same(codes(await cap.search({ identifier: { system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' } })), ['LK-HC-101']);
  t.same(codes(await cap.search({ identifier: { value: 'LKL-N' } })), ['LKL-N'], 'no system: zones too, exactly');
  t.same(codes(await cap.search({ name: 'mberewa' })), ['LK-DH-201', 'LK-HC-101', 'LKL-N-MBR']);
  t.same(
    codes(await cap.search({ partOf: zoneId('LKL-S-CHL') })).filter((c) => !c.startsWith('LK-HP')),
    ['LK-HC-105', 'LKL-S-CHL-TWN'],
    'facilities and child zones',
  );
  t.same(codes(await cap.search({ status: 'inactive' })), ['LK-HC-105']);
  t.same(codes(await cap.search({ type: 'warehouse' })), ['LK-WH-301', 'LK-WH-302']);
  t.equal(
    (await cap.search({ type: 'health_center' })).items.length,
    Object.keys(h.seed.facilities).filter((c) => c.startsWith('LK-HC') || c.startsWith('LK-HP')).length,
    'every match: the FHIR layer pages',
  );
  t.same(
    (await cap.search({ ids: [h.seed.facilities['LK-WH-301'], zoneId('LKL')] })).items.map((f) => f.kind),
    ['facility', 'area'],
  );
});

t.test('listAll gives every facility and zone', async (t) => {
  const { h, cap } = await setup(t);
  const all = await cap.listAll!();
  t.equal(all.filter((f) => f.kind === 'facility').length, Object.keys(h.seed.facilities).length);
  t.equal(all.filter((f) => f.kind === 'area').length, 7);
});

const registryFacility = (over: Partial<Facility> = {}): Facility => ({
  identifiers: [{ system: FACILITY_CODE_SYSTEM, value: 'MFR-0001' }],
  name: 'Lakeview Dispensary',
  status: 'active',
  kind: 'facility',
  types: [{ code: 'health_center' }],
  operator: { code: 'fbo' },
  partOf: zoneId('LKL-S-CHL'),
  position: { latitude: -15.2, longitude: 35.25 },
  programs: ['EM01'],
  ...over,
});

t.test('upsert creates, marks managed externally, and reads back the same', async (t) => {
  const { h, cap } = await setup(t);
  const before = h.sb.state.counts().facilities;
  const result = await cap.upsert!(registryFacility(), amnesiacJournal());
  t.equal(result.status, 'created');
  t.equal(h.sb.state.counts().facilities, before + 1);
  t.equal(h.sb.state.store.facility(result.ids.facility)?.extraData.isManagedExternally, 'true');
  t.match(await cap.get(result.ids.facility), {
    name: 'Lakeview Dispensary',
    status: 'active',
    types: [{ code: 'health_center' }],
    operator: { code: 'fbo' },
    partOf: zoneId('LKL-S-CHL'),
    position: { latitude: -15.2, longitude: 35.25 },
    programs: ['EM01'],
    identifiers: [{ value: 'MFR-0001' }],
  });
});

t.test('a retried upsert (journal lost) updates instead of creating a twin', async (t) => {
  const { h, cap } = await setup(t);
  const first = await cap.upsert!(registryFacility(), amnesiacJournal());
  const count = h.sb.state.counts().facilities;
  const second = await cap.upsert!(
    registryFacility({ name: 'Lakeview Dispensary (renamed)', status: 'suspended' }),
    amnesiacJournal(),
  );
  t.equal(second.status, 'updated');
  t.equal(second.ids.facility, first.ids.facility, 'same OpenLMIS facility');
  t.equal(h.sb.state.counts().facilities, count, 'no second facility');
  const read = await cap.get(first.ids.facility);
  t.match(read, { name: 'Lakeview Dispensary (renamed)', status: 'suspended' });
  const raw = h.sb.state.store.facility(first.ids.facility)!;
  t.same([raw.active, raw.enabled], [false, true], 'suspended = not active but enabled');
  t.equal(raw.extraData.isManagedExternally, 'true');
});

t.test('upsert refuses what OpenLMIS cannot hold with a 422 naming the element', async (t) => {
  const { cap } = await setup(t);
  const badType = await failure(cap.upsert!(registryFacility({ types: [{ code: 'spaceport' }] }), amnesiacJournal()));
  t.type(badType, BusinessRuleError);
  t.same(badType.issues[0].expression, ['Location.type']);
  // several codings of one type (issue 16): the first OpenLMIS knows wins
  const coded = await cap.upsert!(
    registryFacility({
      identifiers: [{ system: FACILITY_CODE_SYSTEM, value: 'MFR-0002' }],
      types: [
        { system: 'urn:mcsd:types', code: 'HC-L3', alternatives: [{ code: 'spaceport' }, { code: 'health_center' }] },
      ],
    }),
    amnesiacJournal(),
  );
  t.match((await cap.get(coded.ids.facility))?.types, [{ code: 'health_center' }], 'typed by its third coding');
  const badZone = await failure(
    cap.upsert!(registryFacility({ partOf: 'nowhere', areaPath: ['Atlantis'] }), amnesiacJournal()),
  );
  t.same(badZone.issues[0].expression, ['Location.partOf']);
  const byAreaName = await cap.upsert!(
    registryFacility({ partOf: undefined, areaPath: ['Chilanga Town', 'Chilanga District'] }),
    amnesiacJournal(),
  );
  t.equal(
    (await cap.get(byAreaName.ids.facility))?.partOf,
    zoneId('LKL-S-CHL-TWN'),
    'the nearest area name that is a zone',
  );
});
