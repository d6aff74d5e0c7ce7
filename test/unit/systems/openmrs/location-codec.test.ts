import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  decodeLocation,
  encodeLocation,
  instantOf,
  positionOf,
  type CodecSettings,
} from '../../../../src/systems/openmrs/location-codec.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../../../shared/fixtures/openmrs/${name}`, import.meta.url), 'utf8'));
const settings: CodecSettings = {
  registryCodeAttributeType: 'Master Facility Code',
  registryCodeSystem: 'urn:registry',
  facilityTags: ['Visit Location', 'Login Location'],
};

t.test('coordinates: negatives kept, blank or non-numeric give no position, never NaN', async (t) => {
  t.same(positionOf('-1.2921', '36.8219'), { latitude: -1.2921, longitude: 36.8219 }, 'south of the equator');
  t.same(positionOf('8.4657', '-13.2317'), { latitude: 8.4657, longitude: -13.2317 }, 'west of Greenwich');
  t.same(positionOf('-8.0476', '-34.8770'), { latitude: -8.0476, longitude: -34.877 }, 'both negative');
  t.same(positionOf(' 0 ', '0.0'), { latitude: 0, longitude: 0 }, 'zero is a coordinate');
  for (const [lat, lon] of [
    ['', '36.8'],
    ['  ', ' '],
    [null, null],
    ['unknown', 'n/a'],
    ['-1.2', ''],
    ['1,5', '36'],
    ['NaN', '1'],
    ['Infinity', '1'],
    ['1e2', '3'],
    ['91', '10'],
    ['10', '-180.5'],
    ['0x10', '1'],
  ]) {
    t.equal(positionOf(lat, lon), undefined, `${JSON.stringify(lat)}, ${JSON.stringify(lon)} → no position`);
  }
});

t.test('OpenMRS dates without a colon in the offset read as instants', async (t) => {
  t.equal(instantOf('2014-09-18T00:00:00.000+0800'), '2014-09-17T16:00:00.000Z');
  t.equal(instantOf('2024-01-15T08:00:00.000+0000'), '2024-01-15T08:00:00.000Z');
  t.equal(instantOf(null), undefined);
  t.equal(instantOf('yesterday'), undefined);
});

t.test('the real v=full payloads decode: ids, names, tags, parents, audit dates, no invented fields', async (t) => {
  const visits = fixture('rest-location-visit-locations-full.json').results;
  const wards = fixture('rest-location-admission-locations-full.json').results;
  for (const loc of [...visits, ...wards]) {
    const f = decodeLocation(loc, settings);
    t.equal(f.id, loc.uuid);
    t.equal(f.name, loc.name);
    t.equal(f.status, loc.retired ? 'inactive' : 'active');
    t.equal(f.partOf, loc.parentLocation?.uuid);
    t.equal(f.position, undefined, 'the fixtures carry no coordinates');
    t.same(
      f.types?.map((x) => x.code),
      loc.tags.map((x: { name: string }) => x.name),
    );
    t.equal(f.lastUpdated, instantOf(loc.auditInfo.dateChanged) ?? instantOf(loc.auditInfo.dateCreated));
    t.same(f.identifiers, [], 'no attribute of the configured type: no identifier');
  }
  const ward = decodeLocation(
    wards.find((l: { parentLocation: unknown }) => l.parentLocation),
    settings,
  );
  t.equal(
    ward.areaPath?.[0],
    wards.find((l: { parentLocation: unknown }) => l.parentLocation).countyDistrict ?? undefined,
  );
});

t.test(
  'the registry code comes from the attribute type the settings name (by name or uuid), voided ones ignored',
  async (t) => {
    const ganiyari = fixture('rest-location-visit-locations-full.json').results.find(
      (l: { name: string }) => l.name === 'Ganiyari',
    );
    const byName = decodeLocation(ganiyari, { ...settings, registryCodeAttributeType: 'IdentifierSourceName' });
    t.same(byName.identifiers, [{ system: 'urn:registry', value: 'GAN' }]);
    const byUuid = decodeLocation(ganiyari, {
      ...settings,
      registryCodeAttributeType: ganiyari.attributes[0].attributeType.uuid,
    });
    t.same(byUuid.identifiers, [{ system: 'urn:registry', value: 'GAN' }]);
    const voided = { ...ganiyari, attributes: [{ ...ganiyari.attributes[0], voided: true }] };
    t.same(decodeLocation(voided, { ...settings, registryCodeAttributeType: 'IdentifierSourceName' }).identifiers, []);
  },
);

t.test('only tagged locations are facilities; the rest are areas', async (t) => {
  const amani = fixture('rest-location-search-q-amani-default.json').results[0];
  t.equal(decodeLocation(amani, settings).kind, 'facility', 'tagged Visit Location');
  t.equal(decodeLocation(amani, { ...settings, facilityTags: ['Facility Location'] }).kind, 'area');
  t.equal(
    decodeLocation(amani, { ...settings, facilityTags: [] }).kind,
    'facility',
    'no tags configured: every location',
  );
});

t.test(
  'encode: coordinates as signed text; absent fields left alone; existing tags kept, facility tag added once',
  async (t) => {
    const body = encodeLocation(
      {
        name: 'Rio Azul Clinic',
        identifiers: [],
        status: 'active',
        kind: 'facility',
        position: { latitude: -8.0476, longitude: -34.877 },
        address: { city: 'Recife' },
      },
      { existingTags: ['tag-a'], facilityTag: 'Facility Location', parentUuid: 'parent-1' },
    );
    t.same(body, {
      name: 'Rio Azul Clinic',
      cityVillage: 'Recife',
      latitude: '-8.0476',
      longitude: '-34.877',
      tags: ['tag-a', 'Facility Location'],
      parentLocation: 'parent-1',
    });
  },
);
