/**
 * DecodedFacilities (issue 18): an OpenLMIS facility whose JSON has not changed since the last
 * search is the same Facility object again (so routing and the edge find it unchanged without
 * walking it); any change is decoded afresh, and the shared objects cannot be changed in place.
 */
import t from 'tap';
import { decodeFacility } from '../../../../src/systems/openlmis/facility/facility-codec.js';
import { DecodedFacilities } from '../../../../src/systems/openlmis/facility/decoded-facilities.js';

const dto = () => ({
  id: 'e6799d64-d10d-4011-b8c2-0e4d4a3f65ce',
  code: 'HC01',
  name: 'Comfort Health Clinic',
  active: true,
  enabled: true,
  type: { id: 't1', code: 'health_center', name: 'Health Center' },
  geographicZone: { id: 'z1', name: 'Neno', parent: { id: 'z0', name: 'Malawi' } },
  location: { type: 'Point', coordinates: [35.3, -15.05] },
  supportedPrograms: [{ code: 'PRG001', supportActive: true }],
});

t.test('unchanged JSON gives the same Facility; every change is decoded again', async (t) => {
  let decodes = 0;
  const memo = new DecodedFacilities((d) => {
    decodes++;
    return decodeFacility(d);
  });
  const first = memo.of(dto());
  t.same(first, decodeFacility(dto()), 'what decodeFacility gives');
  t.equal(memo.of(dto()), first, 'equal JSON (another parse): the same object');
  t.equal(decodes, 1, 'decoded once');
  const changes: [string, (d: ReturnType<typeof dto> & Record<string, unknown>) => void][] = [
    ['a rename', (d) => (d.name = 'Comfort Clinic')],
    ['deactivated', (d) => (d.active = false)],
    ['moved', (d) => (d.location.coordinates[0] = 35.4)],
    ['another zone parent', (d) => (d.geographicZone.parent.name = 'Southern')],
    ['a program dropped', (d) => (d.supportedPrograms[0].supportActive = false)],
  ];
  for (const [what, change] of changes) {
    const changed = dto();
    change(changed);
    const got = memo.of(changed);
    t.not(got, first, `${what}: a new object`);
    t.same(got, decodeFacility(changed), `${what}: what decodeFacility gives`);
  }
  t.throws(
    () => {
      (first as { name: string }).name = 'x';
    },
    TypeError,
    'a shared Facility cannot be changed in place',
  );
  t.throws(
    () => {
      first.identifiers.push({ system: 's', value: 'v' });
    },
    TypeError,
    'nor its members',
  );
});

t.test('at most maxFacilities are kept, the longest unchanged dropped first', async (t) => {
  const memo = new DecodedFacilities(decodeFacility, 1);
  const a = memo.of(dto());
  memo.of({ ...dto(), id: 'other' });
  t.not(memo.of(dto()), a, 'dropped, so decoded again');
});
