/**
 * OpenMRS on a bad day, through the real mediator (startMediator, embedded SQLite) and the OpenMRS
 * sandbox: what an implementer meets when the data or the server misbehave, and that each is
 * refused in words (or recovered from) with nothing written twice or silently dropped.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM as CODE } from '../../../../src/systems/openmrs/settings.js';
import { startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';

const NOWHERE = '0d3c2b1a-1111-4a2b-8c3d-0000000000ff';

t.test('a Location whose partOf OpenMRS does not have: refused at Location.partOf, nothing written', async (t) => {
  const rig = await startOpenMrsRig('openmrs-bad-day');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const location = (partOf: string) => ({
    resourceType: 'Location',
    id: 'registry-tumaini-1',
    identifier: [{ system: CODE, value: 'SBX-90002' }],
    status: 'active',
    name: 'Tumaini Clinic',
    partOf: { reference: `Location/${partOf}` },
  });

  // a create: once made without its parent, the answer would say created while the tree is wrong
  const created = await fhir('PUT', '/fhir/Location/registry-tumaini-1', location(NOWHERE));
  t.equal(created.status, 422, why(created));
  t.equal(created.body.issue[0].expression?.[0], 'Location.partOf');
  t.match(why(created), `Location/${NOWHERE} is not an OpenMRS location`);
  t.same(sb.store.writes, {}, 'nothing written');

  // a move of an existing facility: its parent is not quietly kept as it was
  const made = await fhir('PUT', '/fhir/Location/registry-tumaini-1', location(LOC.nairobiCounty));
  t.ok([200, 201].includes(made.status), why(made));
  const uuid = [...sb.store.locations.values()].find((l) => l.name === 'Tumaini Clinic')!.uuid;
  t.equal(sb.store.locations.get(uuid)!.parentUuid, LOC.nairobiCounty);
  const moved = await fhir('PUT', '/fhir/Location/registry-tumaini-1', {
    ...location(NOWHERE),
    name: 'Tumaini Health Centre',
  });
  t.equal(moved.status, 422, why(moved));
  t.equal(moved.body.issue[0].expression?.[0], 'Location.partOf');
  t.same(sb.store.writes, { 'location.create': 1 }, 'the rename that came with it is not written either');
  t.equal(sb.store.locations.get(uuid)!.name, 'Tumaini Clinic');
  t.equal(sb.store.locations.get(uuid)!.parentUuid, LOC.nairobiCounty);
});
