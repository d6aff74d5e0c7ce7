/**
 * A GET of one DHIS2 object answered 204 No Content (a proxy, a gateway in between). DHIS2
 * answers a found object 200 with it and a missing one 404, so a 204 says nothing about the
 * object. Found by review RE: an org unit read as "absent" (a 404 to the client, a facility "not a
 * DHIS2 organisation unit"), an org unit's update read it as new and POSTed a create, and a
 * requisition event's read crashed on the missing body. Now each is held (transient) and read
 * again on the retry. Connector + sandbox.
 */
import t from 'tap';
import { isTransient } from '../../../../src/domain/index.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { amnesiacJournal, startHarness, type Harness } from './harness.js';

const NO_CONTENT = { type: 'status', status: 204, body: '' } as const;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection, got a result');
}

async function rig(t: { teardown(fn: () => Promise<void>): void }) {
  const h: Harness = await startHarness({ version: '2.41.3' });
  t.teardown(h.close);
  const reader = createOrgUnitReader(h.client);
  return { h, reader, caps: createFacilityCapability(h.client, reader, { today: () => '2024-05-01' }) };
}

t.test('an org unit read answered 204: held as an outage, not "no such org unit"', async (t) => {
  const { h, caps } = await rig(t);
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const rule = h.sandbox.faults.add({ method: 'GET', path: `/api/organisationUnits/${uid}`, action: NO_CONTENT });
  const err = await failure(caps.get(uid));
  t.ok(isTransient(err), `not absent: ${err.message}`);
  t.match(err.message, /answered 204 without a body/);
  h.sandbox.faults.remove(rule.id);
  t.equal((await caps.get(uid))?.id, uid, 'read once DHIS2 answers');
});

t.test('an org unit update whose look-up is answered 204: held, then one update, no create', async (t) => {
  const { h, caps } = await rig(t);
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const renamed = { ...(await caps.get(uid))!, name: 'Kasito Health Centre II' };
  const rule = h.sandbox.faults.add({ method: 'GET', path: `/api/organisationUnits/${uid}`, action: NO_CONTENT });
  const err = await failure(caps.upsert!(renamed, amnesiacJournal()));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.equal(h.sandbox.state.count('POST', '/api/organisationUnits'), 0, 'no create');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 0, 'nothing written meanwhile');
  h.sandbox.faults.remove(rule.id);
  t.equal((await caps.upsert!(renamed, amnesiacJournal())).status, 'updated');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 1);
  t.equal(h.sandbox.state.count('POST', '/api/organisationUnits'), 0);
  t.equal((await caps.get(uid))?.name, 'Kasito Health Centre II');
});

t.test('a requisition event read answered 204: held, not a crash, then read', async (t) => {
  const { h, reader } = await rig(t);
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader,
    products: () => products,
    program: () => program,
    crosswalk: async () => undefined,
  });
  await h.client.version();
  const ous = h.sandbox.state.summary().orgUnits;
  const posted = await postTrackerEvents(h.client, [
    {
      event: 'ReqSent0001',
      program: REQUISITION.program,
      programStage: REQUISITION.stage,
      orgUnit: ous['LK-HC-101'],
      occurredAt: '2024-06-03T08:00:00.000',
      status: 'COMPLETED',
      dataValues: [{ dataElement: REQUISITION.quantities.EM_ORS, value: '150' }],
    },
  ]);
  t.equal(posted.created, 1);
  const rule = h.sandbox.faults.add({ method: 'GET', path: '/api/tracker/events/ReqSent0001', action: NO_CONTENT });
  const err = await failure(orders.get('ReqSent0001'));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /answered 204 without a body/);
  h.sandbox.faults.remove(rule.id);
  t.equal((await orders.get('ReqSent0001'))?.id, 'ReqSent0001');
});

t.test("an org unit update whose look-up is answered by a gateway's JSON page: held, then one update", async (t) => {
  const { h, caps } = await rig(t);
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const renamed = { ...(await caps.get(uid))!, name: 'Kasito Health Centre II' };
  const rule = h.sandbox.faults.add({
    method: 'GET',
    path: `/api/organisationUnits/${uid}`,
    action: { type: 'status', status: 200, body: { message: 'Service under maintenance' } },
  });
  const read = await failure(caps.get(uid));
  t.ok(isTransient(read), `a read held, not the page as a facility: ${read.message}`);
  const err = await failure(caps.upsert!(renamed, amnesiacJournal()));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /without the id asked/);
  t.notMatch(err.message, /maintenance/, 'the page is not quoted');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 0, 'nothing written over');
  h.sandbox.faults.remove(rule.id);
  t.equal((await caps.upsert!(renamed, amnesiacJournal())).status, 'updated');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 1);
  t.equal((await caps.get(uid))?.name, 'Kasito Health Centre II');
});

t.test('an org unit look-up answered 200 by a plain-text page: held, nothing written over', async (t) => {
  // found by second review S2: withIdAnswer let every body that is not a JSON object through, so a
  // gateway's text/plain 200 was taken as the org unit and the update PUT over the real one
  const { h, caps } = await rig(t);
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const renamed = { ...(await caps.get(uid))!, name: 'Kasito Health Centre II' };
  const rule = h.sandbox.faults.add({
    method: 'GET',
    path: `/api/organisationUnits/${uid}`,
    action: {
      type: 'status',
      status: 200,
      body: 'Service temporarily unavailable',
      headers: { 'content-type': 'text/plain' },
    },
  });
  const read = await failure(caps.get(uid));
  t.ok(isTransient(read), `a read held, not the text as a facility: ${read.message}`);
  const err = await failure(caps.upsert!(renamed, amnesiacJournal()));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.notMatch(err.message, /unavailable/, 'the page is not quoted');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 0, 'nothing written over');
  h.sandbox.faults.remove(rule.id);
  t.equal((await caps.upsert!(renamed, amnesiacJournal())).status, 'updated');
  t.equal(h.sandbox.state.count('PUT', `/api/organisationUnits/${uid}`), 1);
  t.equal((await caps.get(uid))?.name, 'Kasito Health Centre II');
});

t.test('a requisition event read answered by a gateway\'s JSON page: held, not "no such order"', async (t) => {
  // found by second review S2: the page (no `program`) was read as no such event, a 404 to the client
  const { h, reader } = await rig(t);
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader,
    products: () => products,
    program: () => program,
    crosswalk: async () => undefined,
  });
  await h.client.version();
  const ous = h.sandbox.state.summary().orgUnits;
  const posted = await postTrackerEvents(h.client, [
    {
      event: 'ReqSent0002',
      program: REQUISITION.program,
      programStage: REQUISITION.stage,
      orgUnit: ous['LK-HC-101'],
      occurredAt: '2024-06-03T08:00:00.000',
      status: 'COMPLETED',
      dataValues: [{ dataElement: REQUISITION.quantities.EM_ORS, value: '150' }],
    },
  ]);
  t.equal(posted.created, 1);
  const rule = h.sandbox.faults.add({
    method: 'GET',
    path: '/api/tracker/events/ReqSent0002',
    action: { type: 'status', status: 200, body: { message: 'Service under maintenance' } },
  });
  const err = await failure(orders.get('ReqSent0002'));
  t.ok(isTransient(err), `held: ${err.message}`);
  t.match(err.message, /without the id asked/);
  h.sandbox.faults.remove(rule.id);
  t.equal((await orders.get('ReqSent0002'))?.id, 'ReqSent0002');
});
