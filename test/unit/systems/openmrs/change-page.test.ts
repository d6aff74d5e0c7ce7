/**
 * A location change (rename, reactivate, new registry code) answered 2xx by a gateway's JSON page
 * ({"message": "maintenance"}) in place of OpenMRS's answer. Found by review RE: the answer to the
 * change's POST was never read, so the write was reported "updated" (finished) while OpenMRS never
 * saw it: an accepted write lost. Now an answer without the location's (or attribute's) uuid is an
 * unknown outcome: held (transient), and the retry reads the location first and sends the change
 * once. Connector + sandbox.
 */
import t from 'tap';
import { ADMIN_PASSWORD, LOC } from '../../../../sandbox/openmrs/index.js';
import type { Facility } from '../../../../src/domain/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM } from '../../../../src/systems/openmrs/settings.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const PAGE = { message: 'Service under maintenance, please sign in again later', ref: 'gw-7f3a' };

const clinic = (over: Partial<Facility> = {}): Facility => ({
  name: 'Change Page Clinic',
  identifiers: [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90301' }],
  status: 'active',
  kind: 'facility',
  partOf: LOC.nairobiCounty,
  ...over,
});

t.test("a rename sent to a stale session met by the gateway's JSON page: held, then applied once", async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const uuid = (await c.facilities!.upsert!(clinic(), memoryJournal())).ids.location;
  // the session expires just as the rename is sent: the gateway answers the stale cookie with its
  // page, and OpenMRS sees nothing
  sb.store.expiredSessionAnswer = 'jsonPage';
  sb.faults.add({
    method: 'POST',
    path: `/openmrs/ws/rest/v1/location/${uuid}`,
    action: { type: 'expireSession' },
    times: 1,
  });
  const journal = memoryJournal();
  const err = await failure(c.facilities!.upsert!(clinic({ name: 'Change Page Renamed' }), journal));
  t.equal(err.transient, true, `held, not reported updated: ${err.message}`);
  t.match(err.message, /without the object's uuid/);
  t.notMatch(err.message, /maintenance|gw-7f3a/, "the page's text is not quoted");
  t.notOk(err.message.includes(ADMIN_PASSWORD), 'no password in the error');
  t.equal(sb.store.locations.get(uuid)!.name, 'Change Page Clinic', 'OpenMRS never saw the rename');
  t.equal(sb.store.writes['location.update'] ?? 0, 0);

  const done = await c.facilities!.upsert!(clinic({ name: 'Change Page Renamed' }), journal);
  t.equal(done.status, 'updated');
  t.equal(sb.store.locations.get(uuid)!.name, 'Change Page Renamed');
  t.equal(sb.store.writes['location.update'], 1, 'applied once');
});

t.test('a reactivation answered 200 by a JSON page: held, then unretired once', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const uuid = (await c.facilities!.upsert!(clinic(), memoryJournal())).ids.location;
  t.equal((await c.facilities!.upsert!(clinic({ status: 'inactive' }), memoryJournal())).status, 'retired');
  const rule = sb.faults.add({
    method: 'POST',
    path: `/openmrs/ws/rest/v1/location/${uuid}`,
    action: { type: 'status', status: 200, body: PAGE },
  });
  const journal = memoryJournal();
  const err = await failure(c.facilities!.upsert!(clinic(), journal));
  t.equal(err.transient, true, `held, not reported unretired: ${err.message}`);
  t.equal(sb.store.locations.get(uuid)!.retired, true, 'still retired in OpenMRS');
  sb.faults.remove(rule.id);
  t.equal((await c.facilities!.upsert!(clinic(), journal)).status, 'unretired');
  t.equal(sb.store.locations.get(uuid)!.retired, false);
  t.equal(sb.store.writes['location.unretire'], 1, 'unretired once');
});

t.test('a new registry code answered 200 by a JSON page: held, then written once', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const uuid = (await c.facilities!.upsert!(clinic(), memoryJournal())).ids.location;
  const recoded = clinic({ id: uuid, identifiers: [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90302' }] });
  const rule = sb.faults.add({
    method: 'POST',
    path: `/openmrs/ws/rest/v1/location/${uuid}/attribute/*`,
    action: { type: 'status', status: 200, body: PAGE },
  });
  const journal = memoryJournal();
  const err = await failure(c.facilities!.upsert!(recoded, journal));
  t.equal(err.transient, true, `held, not reported updated: ${err.message}`);
  t.equal(sb.store.writes['attribute.update'] ?? 0, 0, 'OpenMRS never saw the new code');
  sb.faults.remove(rule.id);
  t.equal((await c.facilities!.upsert!(recoded, journal)).status, 'updated');
  t.same((await c.facilities!.get(uuid))?.identifiers, [{ system: DEFAULT_REGISTRY_CODE_SYSTEM, value: 'SBX-90302' }]);
  t.equal(sb.store.writes['attribute.update'], 1, 'written once');
});

t.test('a retirement answered 200 by a JSON page: held, then retired once', async (t) => {
  const { sb, c } = await sandboxConnector(t);
  const uuid = (await c.facilities!.upsert!(clinic(), memoryJournal())).ids.location;
  const rule = sb.faults.add({
    method: 'DELETE',
    path: `/openmrs/ws/rest/v1/location/${uuid}`,
    action: { type: 'status', status: 200, body: PAGE },
  });
  const journal = memoryJournal();
  const err = await failure(c.facilities!.upsert!(clinic({ status: 'inactive' }), journal));
  t.equal(err.transient, true, `held, not reported retired: ${err.message}`);
  t.match(err.message, /with JSON where OpenMRS answers no content/);
  t.equal(sb.store.locations.get(uuid)!.retired, false, 'still in use in OpenMRS');
  sb.faults.remove(rule.id);
  t.equal((await c.facilities!.upsert!(clinic({ status: 'inactive' }), journal)).status, 'retired');
  t.equal(sb.store.locations.get(uuid)!.retired, true);
  t.equal(sb.store.writes['location.retire'], 1, 'retired once');
});
