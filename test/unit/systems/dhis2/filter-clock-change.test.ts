/**
 * An upper time bound sent to DHIS2 (an org unit's `lastUpdated:le:`, a tracker
 * `updatedBefore=`) is compared with wall time in the server's zone, and the mediator reads a wall
 * time an autumn clock change repeats as its earlier pass (server-time.ts, as java.time does).
 * A bound in the later pass of that hour must not leave out the wall times after it in the hour:
 * they read as instants before the bound. Through the real connector and a DHIS2 sandbox in
 * Berlin (2026-10-25: 03:00 summer time is 02:00 winter time again, 01:00 UTC).
 */
import t from 'tap';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { DHIS2_CODE_SYSTEM } from '../../../../src/systems/dhis2/identifiers.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { serverWallTimeUpTo } from '../../../../src/systems/dhis2/server-time.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';

const BERLIN = 'Europe/Berlin';

t.test('an org unit changed in the repeated hour is listed up to a bound later in that hour', async (t) => {
  const h = await startHarness({ timeZone: BERLIN });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const uid = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  // DHIS2 kept 02:45: the mediator reads the earlier pass, summer time, 00:45 UTC
  h.sandbox.state.orgUnits.get(uid)!.lastUpdated = '2026-10-25T02:45:00.000';
  t.equal((await caps.get(uid))?.lastUpdated, '2026-10-25T00:45:00.000Z', 'read as 00:45 UTC');

  const listed = async (range: { from?: string; to?: string }) =>
    (await caps.search({ identifier: { system: DHIS2_CODE_SYSTEM, value: 'LK-HC-102' }, lastUpdated: [range] })).items
      .length;
  // 01:15 UTC is 02:15 winter time: sent as le 02:15, DHIS2 left out 02:45, which reads as 00:45 UTC
  t.equal(await listed({ to: '2026-10-25T01:15:00Z' }), 1, 'up to 01:15 UTC: listed (before: not)');
  t.equal(await listed({ to: '2026-10-25T00:30:00Z' }), 0, 'up to 00:30 UTC: not (a wider list is narrowed)');
  t.equal(await listed({ from: '2026-10-25T00:30:00Z', to: '2026-10-25T01:15:00Z' }), 1, 'between: listed');
  t.equal(await listed({ from: '2026-10-25T01:15:00Z' }), 0, 'from 01:15 UTC: not (it reads as 00:45)');
});

t.test('a requisition made in the repeated hour is an order up to a bound later in that hour', async (t) => {
  const h = await startHarness({ timeZone: BERLIN });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
  });
  const made = await postTrackerEvents(h.client, [
    {
      event: 'ReqFold0001',
      program: REQUISITION.program,
      programStage: REQUISITION.stage,
      orgUnit: hc,
      // DHIS2 keeps 02:45: read as the earlier pass, 00:45 UTC
      occurredAt: '2026-10-25T02:45:00.000',
      status: 'COMPLETED',
      dataValues: [{ dataElement: REQUISITION.quantities.EM_ORS, value: '150' }],
    },
  ]);
  t.equal(made.created, 1);
  const authored = async (to: string) =>
    (await orders.search({ facility: hc, date: [{ to }] })).items.map((o) => o.authoredOn);
  t.same(await authored('2026-10-25T01:15:00Z'), ['2026-10-25T00:45:00.000Z'], 'up to 01:15 UTC: listed (before: not)');
  t.same(await authored('2026-10-25T00:30:00Z'), [], 'up to 00:30 UTC: not');
});

t.test('an upper bound is its own wall time except in the later pass of a repeated hour', async (t) => {
  t.equal(serverWallTimeUpTo('2026-10-25T01:15:00Z', BERLIN), '2026-10-25T03:15:00.000', 'to the hour repeated after');
  t.equal(serverWallTimeUpTo('2026-10-25T00:15:00Z', BERLIN), '2026-10-25T02:15:00.000', 'the earlier pass: as is');
  t.equal(serverWallTimeUpTo('2026-10-25T02:15:00Z', BERLIN), '2026-10-25T03:15:00.000', 'after the hour: as is');
  t.equal(serverWallTimeUpTo('2026-03-29T01:15:00Z', BERLIN), '2026-03-29T03:15:00.000', 'a skipped hour: as is');
  t.equal(serverWallTimeUpTo('2026-10-25T01:15:00+00:00', '+05:30'), '2026-10-25T06:45:00.000', 'a fixed offset');
  t.equal(serverWallTimeUpTo('2026-10-25', BERLIN), '2026-10-25', 'a date: as sent');
});
