/**
 * A PUT that would change nothing is not sent (unchanged-put.ts): the OpenLMIS facility and DHIS2
 * org unit bodies compared with what was just read, field by field the way each server takes them.
 */
import t from 'tap';
import { putChangesNothing } from '../../../src/systems/unchanged-put.js';
import { unchangedOrgUnit } from '../../../src/systems/dhis2/orgunit-codec.js';
import { unchangedFacility } from '../../../src/systems/openlmis/facility/facility-codec.js';

const orgUnitRead = {
  id: 'ou123456789',
  code: 'REC-1',
  name: 'Reconciled Clinic',
  shortName: 'Reconciled Clinic',
  parent: { id: 'district001' },
  openingDate: '1994-01-01T00:00:00.000',
  geometry: { type: 'Point', coordinates: [34.1, -10.4] },
  attributeValues: [{ attribute: { id: 'attr0000001' }, value: 'kept' }],
  // read-only views: never sent back, never a change
  level: 4,
  path: '/a/b/c/ou123456789',
  lastUpdated: '2026-12-01T10:00:00.000',
  created: '1994-01-01T00:00:00.000',
};
const orgUnitBody = () => {
  const { level: _l, path: _p, lastUpdated: _u, created: _c, ...own } = orgUnitRead;
  return structuredClone(own) as Record<string, unknown>;
};

t.test('a DHIS2 org unit written as read changes nothing, its read-only views aside', async (t) => {
  t.ok(unchangedOrgUnit(orgUnitBody(), orgUnitRead));
});

t.test('each field the registry governs is a change of the org unit', async (t) => {
  const changes: Record<string, (b: Record<string, unknown>) => void> = {
    name: (b) => (b.name = 'Renamed Clinic'),
    parent: (b) => (b.parent = { id: 'district002' }),
    position: (b) => (b.geometry = { type: 'Point', coordinates: [34.1, -10.5] }),
    closing: (b) => (b.closedDate = '2026-12-08'),
    code: (b) => (b.code = 'REC-9'),
  };
  for (const [what, change] of Object.entries(changes)) {
    const body = orgUnitBody();
    change(body);
    t.notOk(unchangedOrgUnit(body, orgUnitRead), what);
  }
  // a reopening leaves closedDate out of the body: the PUT clears it
  t.notOk(unchangedOrgUnit(orgUnitBody(), { ...orgUnitRead, closedDate: '2026-01-01' }), 'reopening');
  // a field the connector does not own, kept from the read, is no change; dropped, it is one
  const dropped = orgUnitBody();
  delete dropped.attributeValues;
  t.notOk(unchangedOrgUnit(dropped, orgUnitRead), 'a field the PUT would drop');
});

const facilityRead = {
  id: 'f-1',
  code: 'REC-1',
  name: 'Reconciled Clinic',
  active: true,
  enabled: true,
  type: { id: 'type-hc', code: 'health_center', name: 'Health Center' },
  geographicZone: { id: 'zone-mbr', code: 'LKL-N-MBR', name: 'Mberewa', parent: { id: 'zone-n' } },
  location: { type: 'Point', coordinates: [34.1, -10.4] },
  supportedPrograms: [
    {
      id: 'p1',
      code: 'PRG001',
      name: 'Family Planning',
      description: 'derived',
      programActive: true,
      supportActive: true,
    },
  ],
  extraData: null,
};
const facilityBody = () => ({
  ...structuredClone(facilityRead),
  type: { id: 'type-hc' },
  geographicZone: { id: 'zone-mbr' },
  supportedPrograms: [{ id: 'p1', code: 'PRG001', name: 'Family Planning', programActive: true, supportActive: true }],
  extraData: { isManagedExternally: 'true' },
});

t.test(
  'an OpenLMIS facility written as read changes nothing: references by id, derived fields, the mark',
  async (t) => {
    t.ok(unchangedFacility(facilityBody(), facilityRead), 'the isManagedExternally mark alone is no change');
    t.notOk(unchangedFacility({ ...facilityBody(), name: 'Renamed' }, facilityRead), 'a name');
    t.notOk(unchangedFacility({ ...facilityBody(), geographicZone: { id: 'zone-x' } }, facilityRead), 'a zone');
    t.notOk(unchangedFacility({ ...facilityBody(), active: false }, facilityRead), 'a status');
    t.notOk(
      unchangedFacility({ ...facilityBody(), location: { type: 'Point', coordinates: [34.2, -10.4] } }, facilityRead),
      'a position',
    );
    t.notOk(unchangedFacility({ ...facilityBody(), supportedPrograms: [] }, facilityRead), 'programs');
  },
);

t.test('absent and null are one; an array differs by any entry or its length', async (t) => {
  t.ok(putChangesNothing({ a: null, b: 1 }, { b: 1 }));
  t.notOk(putChangesNothing({ a: [1, 2] }, { a: [1] }));
  t.notOk(putChangesNothing({ a: { id: 'x' } }, { a: 'x' }));
});
