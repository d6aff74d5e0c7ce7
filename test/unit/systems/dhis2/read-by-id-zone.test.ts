/**
 * A Location or a SupplyRequest read by id after DHIS2 restarted in another zone: DHIS2 keeps
 * lastUpdated and occurredAt as wall times of its JVM's zone, so a read decoded with the zone the
 * process asked first puts them hours off (here Colombo +05:30 then Bogotá -05:00: ten and a half
 * hours). A read by id asks the zone at its start like a search (serverZoneNow: reused for
 * ZONE_REUSE_MS, so a burst of reads asks once). Through the real connector and the DHIS2 sandbox.
 */
import t from 'tap';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { REQUISITION, REQUISITION_DATA_ELEMENTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';
import { wallAt, systemInfoAsked, restartIn, requisitionAt } from './zone-restart.js';

t.test('a Location read by id after DHIS2 restarted in another zone: lastUpdated at its instant', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const id = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const orgUnit = h.sandbox.state.orgUnits.get(id)!;
  orgUnit.lastUpdated = wallAt('2026-12-01T09:15:00Z', 'Asia/Colombo');
  t.equal((await caps.get(id))?.lastUpdated, '2026-12-01T09:15:00.000Z', 'read in Colombo at its instant');

  restartIn(h, 'America/Bogota');
  orgUnit.lastUpdated = wallAt('2026-12-01T09:30:00Z', 'America/Bogota');
  const asked = systemInfoAsked(h);
  t.equal(
    (await caps.get(id))?.lastUpdated,
    '2026-12-01T09:30:00.000Z',
    'read in Bogotá at its instant (before: 04:30 read as Colombo time, 23:00 UTC the day before)',
  );
  t.equal((await caps.get(id))?.lastUpdated, '2026-12-01T09:30:00.000Z', 'read again: the same');
  t.equal(systemInfoAsked(h) - asked, 1, 'the zone asked once for both reads (reused)');
});

t.test('a SupplyRequest read by id after DHIS2 restarted in another zone: authoredOn at its instant', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const ous = h.sandbox.state.summary().orgUnits;
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const orders = createRequisitionOrders({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
  });
  const requisition = requisitionAt(ous['LK-HC-101']);
  // entered in Colombo at 09:00 UTC (14:30 Colombo)
  await postTrackerEvents(h.client, [requisition('ReqZoneRd01', wallAt('2024-06-03T09:00:00Z', 'Asia/Colombo'))]);
  t.equal((await orders.get('ReqZoneRd01'))?.authoredOn, '2024-06-03T09:00:00.000Z', 'read in Colombo at its instant');

  // DHIS2 restarts in Bogotá: its users enter one at 09:30 UTC (04:30 Bogotá)
  restartIn(h, 'America/Bogota');
  await postTrackerEvents(h.client, [requisition('ReqZoneRd02', wallAt('2024-06-03T09:30:00Z', 'America/Bogota'))]);
  const asked = systemInfoAsked(h);
  t.equal(
    (await orders.get('ReqZoneRd02'))?.authoredOn,
    '2024-06-03T09:30:00.000Z',
    'read in Bogotá at its instant (before: 04:30 read as Colombo time, 23:00 UTC the day before)',
  );
  t.equal((await orders.get('ReqZoneRd02'))?.authoredOn, '2024-06-03T09:30:00.000Z', 'read again: the same');
  t.equal(systemInfoAsked(h) - asked, 1, 'the zone asked once for both reads (reused)');
});
