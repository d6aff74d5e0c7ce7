/**
 * The requisition and receipt feeds read outside an RTS run, after DHIS2 restarted in another zone:
 * DHIS2 keeps occurredAt as wall time of its JVM's zone, so a read decoded with the zone the
 * process asked first puts it hours off (Colombo +05:30 then Bogotá -05:00: ten and a half hours)
 * and sends a mark in the wrong zone. Without a zone from the caller each feed asks it at its read's
 * start (serverZoneNow: once per read, not per page or event); the RTS run passes the zone it asked
 * at its start, and then the feed asks nothing. Through the real connector and the DHIS2 sandbox.
 */
import t, { type Test } from 'tap';
import { parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createReceiptFeed } from '../../../../src/systems/dhis2/receipts.js';
import { createRequisitionFeed, parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { loadUseCase } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { CONSIGNMENT, REQUISITION, REQUISITION_DATA_ELEMENTS, RTS } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';
import { wallAt, systemInfoAsked, restartIn, requisitionAt } from './zone-restart.js';

async function requisitionRig(t: Test) {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-101'];
  const products = loadDhis2Products({});
  const program = parseRequisitionProgram(REQUISITION.program, REQUISITION.stage, REQUISITION_DATA_ELEMENTS);
  const feed = createRequisitionFeed({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => products,
    program: () => program,
  });
  const requisition = requisitionAt(hc);
  const read = async (zone?: string) => {
    const pages = [];
    for await (const page of feed.completed(undefined, 2, zone)) pages.push(page);
    return pages;
  };
  return { h, requisition, read };
}

t.test('requisition feed read after DHIS2 restarted in another zone: each authoredOn at its instant', async (t) => {
  const { h, requisition, read } = await requisitionRig(t);
  // the process meets DHIS2 in Colombo: a requisition entered at 09:00 UTC (14:30 Colombo)
  await postTrackerEvents(h.client, [requisition('ReqFeedZn01', wallAt('2024-06-03T09:00:00Z', 'Asia/Colombo'))]);
  const first = (await read()).flatMap((p) => p.orders);
  t.same(
    first.map((o) => o.authoredOn),
    ['2024-06-03T09:00:00.000Z'],
    'read in Colombo at its instant',
  );

  // DHIS2 restarts in Bogotá: its users enter two at 09:30 UTC (04:30 Bogotá)
  restartIn(h, 'America/Bogota');
  await postTrackerEvents(h.client, [
    requisition('ReqFeedZn02', wallAt('2024-06-03T09:30:00Z', 'America/Bogota')),
    requisition('ReqFeedZn03', wallAt('2024-06-03T09:30:00Z', 'America/Bogota')),
  ]);
  const asked = systemInfoAsked(h);
  const pages = await read();
  t.ok(pages.length >= 2, 'read over more than one page');
  const byId = new Map(pages.flatMap((p) => p.orders).map((o) => [o.orderNumber.value, o.authoredOn]));
  t.same(
    ['ReqFeedZn02', 'ReqFeedZn03'].map((id) => byId.get(id)),
    ['2024-06-03T09:30:00.000Z', '2024-06-03T09:30:00.000Z'],
    'read in Bogotá at their instant (before: 04:30 read as Colombo time, 23:00 UTC the day before)',
  );
  t.same(
    pages.map((p) => p.zone),
    pages.map(() => 'America/Bogota'),
    "each page's marks in Bogotá wall time",
  );
  t.equal(systemInfoAsked(h) - asked, 1, 'the zone asked once for the whole read, not per page or event');
});

t.test("requisition feed given the run's zone: reads in it whatever another caller asked since", async (t) => {
  const { h, requisition, read } = await requisitionRig(t);
  await postTrackerEvents(h.client, [requisition('ReqFeedZn04', wallAt('2024-06-03T09:00:00Z', 'Asia/Colombo'))]);
  // the RTS run asks the zone at its start (Colombo) and reads its mark in it
  const runZone = await h.client.serverZoneNow();
  // DHIS2 restarts in Bogotá while the run goes on; a FHIR search asks the zone again meanwhile
  restartIn(h, 'America/Bogota');
  t.equal(await h.client.serverZoneNow(), 'America/Bogota', 'the connector now knows Bogotá');
  const asked = systemInfoAsked(h);
  const pages = await read(runZone);
  t.same(
    pages.flatMap((p) => p.orders).map((o) => o.authoredOn),
    ['2024-06-03T09:00:00.000Z'],
    "decoded in the run's zone, as its mark was read",
  );
  t.same(
    pages.map((p) => p.zone),
    ['Asia/Colombo'],
    "the page's marks in the run's zone (before: Bogotá, the zone another caller asked)",
  );
  t.equal(systemInfoAsked(h) - asked, 0, 'system/info not asked: the run asked it at its start');
});

t.test('receipt feed read after DHIS2 restarted in another zone: occurredAt at its instant', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-104'];
  const consignment = (event: string, reference: string, occurredAt: string) => ({
    event,
    program: CONSIGNMENT.program,
    programStage: CONSIGNMENT.stage,
    orgUnit: hc,
    occurredAt,
    status: 'COMPLETED',
    dataValues: [
      { dataElement: CONSIGNMENT.item, value: 'EM_ORS' },
      { dataElement: CONSIGNMENT.quantity, value: '40' },
      { dataElement: CONSIGNMENT.reference, value: reference },
    ],
  });
  const feed = createReceiptFeed({
    client: h.client,
    reader: createOrgUnitReader(h.client),
    products: () => loadDhis2Products({}),
    consignments: () =>
      parseConsignmentElements(
        CONSIGNMENT.program,
        CONSIGNMENT.stage,
        `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
      ),
    useCase: () => loadUseCase(h.client, RTS.program),
  });
  const occurredAtOf = async (ref: string, zone?: string) =>
    (await feed.completed(undefined, zone)).deliveries.find((d) => d.identifier.value === ref)?.occurredAt;

  // received at 10:00 UTC (15:30 Colombo)
  await postTrackerEvents(h.client, [
    consignment('ConsFdZn001', 'SHP-FZ-1', wallAt('2026-12-02T10:00:00Z', 'Asia/Colombo')),
  ]);
  t.equal(await occurredAtOf('SHP-FZ-1'), '2026-12-02T10:00:00.000Z', 'read in Colombo at its instant');

  // DHIS2 restarts in Bogotá: one received at 10:30 UTC (05:30 Bogotá)
  restartIn(h, 'America/Bogota');
  await postTrackerEvents(h.client, [
    consignment('ConsFdZn002', 'SHP-FZ-2', wallAt('2026-12-02T10:30:00Z', 'America/Bogota')),
  ]);
  const asked = systemInfoAsked(h);
  const read = await feed.completed();
  t.equal(
    read.deliveries.find((d) => d.identifier.value === 'SHP-FZ-2')?.occurredAt,
    '2026-12-02T10:30:00.000Z',
    'read in Bogotá at its instant (before: 05:30 read as Colombo time, 00:00 UTC)',
  );
  t.equal(read.zone, 'America/Bogota', 'its mark in Bogotá wall time');
  t.equal(systemInfoAsked(h) - asked, 1, 'the zone asked once for the read');

  // given the run's zone, the feed asks nothing
  const again = systemInfoAsked(h);
  t.equal(await occurredAtOf('SHP-FZ-2', 'America/Bogota'), '2026-12-02T10:30:00.000Z', 'read in the zone given');
  t.equal(systemInfoAsked(h) - again, 0, 'system/info not asked');
});
