/**
 * A GET of one OpenLMIS object answered 204 No Content (a proxy, a gateway in between). OpenLMIS
 * answers a found DTO 200 with it and a missing one 404, so a 204 says nothing about the object.
 * Found by review RE: it was read as "absent", like a 404: a facility read was a 404 to the
 * client, and a registry update of a facility found by its code created a second facility with
 * the same code (which OpenLMIS refuses: the write dropped). Now it is held (transient) and read
 * again on the retry. Connector + sandbox.
 */
import t from 'tap';
import type { Facility } from '../../../../src/domain/index.js';
import { isTransient } from '../../../../src/domain/index.js';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { createFacilityCapability } from '../../../../src/systems/openlmis/facility/facilities.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { failure, startClientHarness } from './client-harness.js';

const NO_CONTENT = { type: 'status', status: 204, body: '' } as const;
const amnesiacJournal = (): StepJournal => ({ idempotencyKey: 'test', run: (_step, action) => action() });

async function setup(t: { teardown: (fn: () => unknown) => void }) {
  const h = await startClientHarness();
  t.teardown(h.close);
  return { h, cap: createFacilityCapability(h.client, createReferenceData(h.client, 60_000)) };
}

t.test('a facility read answered 204: held as an outage, not "no such facility"', async (t) => {
  const { h, cap } = await setup(t);
  const id = h.seed.facilities['LK-HC-101'];
  const rule = h.sb.faults.add({ method: 'GET', path: `/api/facilities/${id}`, action: NO_CONTENT });
  const err = await failure(cap.get(id));
  t.ok(isTransient(err), `not absent: ${err.message}`);
  t.match(err.message, /answered 204 with an empty body/);
  h.sb.faults.remove(rule.id);
  t.equal((await cap.get(id))?.id, id, 'read once OpenLMIS answers');
});

t.test('a facility found by code, then answered 204: the update is held, no second facility', async (t) => {
  const { h, cap } = await setup(t);
  const id = h.seed.facilities['LK-HC-101'];
  const current = (await cap.get(id))!;
  const renamed: Facility = {
    ...current,
    id: undefined,
    name: 'Mberewa Health Centre (renamed)',
    identifiers: [{ system: FACILITY_CODE_SYSTEM, value: 'LK-HC-101' }],
  };
  const before = h.sb.state.counts().facilities;
  const rule = h.sb.faults.add({ method: 'GET', path: `/api/facilities/${id}`, action: NO_CONTENT });
  const err = await failure(cap.upsert!(renamed, amnesiacJournal()));
  t.ok(isTransient(err), `held, not refused or created: ${err.message}`);
  t.equal(h.sb.state.counts().facilities, before, 'no second facility');
  h.sb.faults.remove(rule.id);
  const done = await cap.upsert!(renamed, amnesiacJournal());
  t.same(done.ids, { facility: id }, 'the facility the code names');
  t.equal(done.status, 'updated');
  t.equal(h.sb.state.counts().facilities, before);
  t.equal(h.sb.state.store.facility(id)?.name, 'Mberewa Health Centre (renamed)');
});

t.test("a facility found by code, then answered by a gateway's JSON page: held, no second facility", async (t) => {
  const { h, cap } = await setup(t);
  const id = h.seed.facilities['LK-HC-101'];
  const current = (await cap.get(id))!;
  const renamed: Facility = { ...current, id: undefined, name: 'Mberewa Health Centre (renamed)' };
  const before = h.sb.state.counts().facilities;
  const rule = h.sb.faults.add({
    method: 'GET',
    path: `/api/facilities/${id}`,
    action: { type: 'status', status: 200, body: { message: 'Service under maintenance' } },
  });
  const err = await failure(cap.upsert!(renamed, amnesiacJournal()));
  t.ok(isTransient(err), `held, not refused or created: ${err.message}`);
  t.match(err.message, /JSON without 'id'/);
  t.notMatch(err.message, /maintenance/, 'the page is not quoted');
  t.equal(h.sb.state.counts().facilities, before, 'no second facility');
  h.sb.faults.remove(rule.id);
  t.equal((await cap.upsert!(renamed, amnesiacJournal())).status, 'updated');
  t.equal(h.sb.state.counts().facilities, before);
});
