/**
 * A GET answered 204 No Content. OpenMRS REST answers a found object 200 with it and a missing one
 * 404; a 204 to a read is none of its answers (a proxy, a gateway in between) and says nothing
 * about the object. Found by review RB: it was read as "absent", like a 404, so a location was
 * "none" and a write naming it as parent refused for good during the blip. Now it is an odd
 * answer: read again, and held (transient) when it persists. Connector + sandbox.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Facility } from '../../../../src/domain/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const NO_CONTENT = { type: 'status', status: 204, body: '' } as const;

const clinic = (): Facility => ({
  name: 'No Content Clinic',
  identifiers: [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90204' }],
  status: 'active',
  kind: 'facility',
  partOf: LOC.nairobiCounty,
});

t.test('a location read answered 204: held as an outage, not "no such location"', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const rule = sb.faults.add({ method: 'GET', path: `/openmrs/ws/rest/v1/location/${LOC.kilima}`, action: NO_CONTENT });
  const err = await failure(c.facilities!.get(LOC.kilima));
  t.equal(err.transient, true, `not absent: ${err.message}`);
  t.match(err.message, /answered 204 with an empty body/);
  sb.faults.remove(rule.id);
  t.equal((await c.facilities!.get(LOC.kilima))?.id, LOC.kilima, 'read once OpenMRS answers');
});

t.test('a parent answered 204: the write is held, not refused, and lands once after', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const rule = sb.faults.add({
    method: 'GET',
    path: `/openmrs/ws/rest/v1/location/${LOC.nairobiCounty}`,
    action: NO_CONTENT,
  });
  const journal = memoryJournal();
  const err = await failure(c.facilities!.upsert!(clinic(), journal));
  t.equal(err.transient, true, `held, not "not an OpenMRS location": ${err.message}`);
  t.notMatch(err.message, /is not an OpenMRS location/);
  t.same(sb.store.writes, {}, 'nothing written meanwhile');
  sb.faults.remove(rule.id);
  const done = await c.facilities!.upsert!(clinic(), journal);
  t.equal(done.status, 'created');
  t.same(sb.store.writes, { 'location.create': 1 });
});

t.test('a DELETE answered 204 is still a write done (retire)', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const made = await c.facilities!.upsert!(clinic(), memoryJournal());
  const retired = await c.facilities!.upsert!({ ...clinic(), status: 'inactive' }, memoryJournal());
  t.equal(retired.status, 'retired');
  t.equal(sb.store.locations.get(made.ids.location)!.retired, true);
});
