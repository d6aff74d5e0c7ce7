/**
 * DHIS2's zone is its JVM's: it changes when DHIS2 restarts elsewhere, not when the mediator does.
 * The RTS marks ask system/info at the start of each run (9a3fe7e2); facility searches (a feed's
 * `_lastUpdated` from its mark) and consignment reads and writes used the zone the process had
 * asked first. Here DHIS2 restarts in Bogotá (-05:00) after the mediator met it in Colombo
 * (+05:30), between two runs of the same process: each run asks the zone again (one system/info
 * per run, not per call), so nothing is skipped, no time is written ten and a half hours off, and
 * a resend applies nothing twice. Through the real connector and the DHIS2 sandbox.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { deterministicUid } from '../../../../src/systems/dhis2/identifiers.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createReceiptFeed } from '../../../../src/systems/dhis2/receipts.js';
import { createRequisitionOrders } from '../../../../src/systems/dhis2/requisition-orders.js';
import { parseRequisitionProgram } from '../../../../src/systems/dhis2/requisitions.js';
import { loadUseCase } from '../../../../src/systems/dhis2/rts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { consignmentCapability } from '../../../support/dhis2-consignments.js';
import { CONSIGNMENT, REQUISITION, REQUISITION_DATA_ELEMENTS, RTS } from '../../../../sandbox/dhis2/index.js';
import { memoryJournal, startHarness } from './harness.js';
import { wallAt, restartIn, requisitionAt } from './zone-restart.js';
import { outreachDistribution, stockFor } from './rts-stock.js';

t.test('facility feed: an org unit changed after DHIS2 restarted in a zone west is read from the mark', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const ids = h.sandbox.state.summary().orgUnits;
  const [a, b] = [ids['LK-HC-102'], ids['LKL-N-TSG']];
  t.ok(a && b && a !== b, 'two org units');
  // run 1, DHIS2 in Colombo: a changed at 09:15 UTC (14:45 Colombo)
  h.sandbox.state.orgUnits.get(a)!.lastUpdated = wallAt('2026-12-01T09:15:00Z', 'Asia/Colombo');
  const first = (await caps.search({ lastUpdated: [{ from: '2026-12-01T09:00:00Z' }] })).items;
  t.same(
    first.map((f) => [f.id, f.lastUpdated]),
    [[a, '2026-12-01T09:15:00.000Z']],
    'run 1 reads a at its instant',
  );
  const mark = first[0].lastUpdated!;

  // DHIS2 restarts in Bogotá; the mediator runs on. b changed at 09:30 UTC (04:30 Bogotá)
  restartIn(h, 'America/Bogota');
  h.sandbox.state.orgUnits.get(b)!.lastUpdated = wallAt('2026-12-01T09:30:00Z', 'America/Bogota');
  const asked = h.sandbox.state.count('GET', '/api/system/info');
  const second = (await caps.search({ lastUpdated: [{ from: mark }] })).items;
  t.same(
    second.filter((f) => f.id === b).map((f) => f.lastUpdated),
    ['2026-12-01T09:30:00.000Z'],
    'run 2 reads b at its instant (before: skipped, the mark sent as 14:45 against 04:30)',
  );
  t.equal(h.sandbox.state.count('GET', '/api/system/info') - asked, 1, 'the zone asked once for the run');
});

const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';
const delivery = (value: string, occurredAt: string): Delivery => ({
  identifier: { system: 'https://msupply.example.org/shipments', value },
  status: 'completed',
  occurredAt,
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines: [{ product: { system: GTIN, code: CONDOM }, quantityAccepted: { value: 1440, unit: 'dispensing-unit' } }],
});

t.test('consignment write after DHIS2 restarted in another zone: kept at the instant sent, once', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const eventsOf = (ref: string) =>
    [...h.sandbox.tracker.events.values()].filter(
      (e) => e.program === CONSIGNMENT.program && e.dataValues.some((d) => d.value === ref),
    );
  // run 1, DHIS2 in Colombo
  const before = delivery('SHP-RZ-1', '2026-12-02T10:00:00Z');
  await caps.precheck!(before);
  await caps.confirm(before, memoryJournal('rz-1'));
  t.same(
    eventsOf('SHP-RZ-1').map((e) => e.occurredAt),
    ['2026-12-02T15:30:00.000'],
    'kept at 15:30 Colombo time',
  );

  // DHIS2 restarts in Bogotá; the same connector writes on
  restartIn(h, 'America/Bogota');
  const after = delivery('SHP-RZ-2', '2026-12-02T10:00:00Z');
  await caps.precheck!(after);
  await caps.confirm(after, memoryJournal('rz-2'));
  t.same(
    eventsOf('SHP-RZ-2').map((e) => e.occurredAt),
    ['2026-12-02T05:00:00.000'],
    'kept at 05:00 Bogotá time (before: 15:30, which DHIS2 reads as 20:30 UTC)',
  );
  const read = (await caps.search({ facility: hc })).items.find((d) => d.identifier.value === 'SHP-RZ-2');
  t.equal(read?.occurredAt, '2026-12-02T10:00:00.000Z', 'read back as the instant sent');

  // the same write again (a resend): not a changed date, nothing added
  await caps.precheck!(after);
  await caps.confirm(after, memoryJournal('rz-2-again'));
  t.equal(eventsOf('SHP-RZ-2').length, 1, 'one event, not two');
  t.same(
    eventsOf('SHP-RZ-2').map((e) => e.occurredAt),
    ['2026-12-02T05:00:00.000'],
    'its date unchanged',
  );
  const other = await caps.precheck!(delivery('SHP-RZ-2', '2026-12-02T10:00:01Z')).catch((e) => e);
  t.equal(other?.status, 409, 'another instant is still a change');
});

t.test('receipt count written after DHIS2 restarted in another zone: dated at the receipt instant', async (t) => {
  const h = await startHarness({ timeZone: 'Asia/Colombo' });
  t.teardown(h.close);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-104'];
  await postTrackerEvents(h.client, [
    {
      event: 'ConsZone001',
      program: CONSIGNMENT.program,
      programStage: CONSIGNMENT.stage,
      orgUnit: hc,
      occurredAt: '2026-12-02T10:00:00Z',
      status: 'COMPLETED',
      dataValues: [
        { dataElement: CONSIGNMENT.item, value: 'EM_ORS' },
        { dataElement: CONSIGNMENT.quantity, value: '40' },
        { dataElement: CONSIGNMENT.reference, value: 'SHP-RZ-3' },
      ],
    },
  ]);
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
  const receipt = (await feed.completed()).deliveries.find((d) => d.identifier.value === 'SHP-RZ-3');
  const when = receipt?.lastUpdated ?? receipt?.occurredAt;
  t.ok(when, 'the completed consignment, read in Colombo');

  // DHIS2 restarts in Bogotá before the queued count is written
  restartIn(h, 'America/Bogota');
  const before = new Set(h.sandbox.tracker.events.keys());
  await feed.record(receipt!, memoryJournal('rz-3'));
  const written = [...h.sandbox.tracker.events.values()].filter((e) => !before.has(e.event));
  t.same(
    written.map((e) => e.occurredAt),
    [wallAt(when!, 'America/Bogota')],
    'the count is dated at the receipt in Bogotá wall time (before: Colombo wall time, 10.5 h late)',
  );
});

t.test('RTS stock written and read after DHIS2 restarted in another zone: at the instant reported', async (t) => {
  const h = await startHarness(
    { timeZone: 'Asia/Colombo' },
    { 'dhis2.rtsProgram': RTS.program, 'dhis2.stockTarget': 'rts' },
  );
  t.teardown(h.close);
  const stock = stockFor(h);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const rtsEvents = () => [...h.sandbox.tracker.events.values()].filter((e) => e.program === RTS.program);
  // run 1, DHIS2 in Colombo: 09:00 UTC kept at 14:30
  let before = new Set(rtsEvents().map((e) => e.event));
  await stock.report(outreachDistribution(hc, -5), memoryJournal('rz-4'));
  t.same(
    rtsEvents()
      .filter((e) => !before.has(e.event))
      .map((e) => e.occurredAt),
    ['2024-03-25T14:30:00.000'],
    'kept at 14:30 Colombo time',
  );

  // DHIS2 restarts in Bogotá; the same connector writes and reads on
  restartIn(h, 'America/Bogota');
  before = new Set(rtsEvents().map((e) => e.event));
  await stock.report(outreachDistribution(hc, -7), memoryJournal('rz-5'));
  const written = rtsEvents().filter((e) => !before.has(e.event));
  t.same(
    written.map((e) => e.occurredAt),
    ['2024-03-25T04:00:00.000'],
    'kept at 04:00 Bogotá time (before: 14:30, which DHIS2 reads as 19:30 UTC)',
  );
  // a DHIS2 user's distribution after the restart, stamped 09:30 UTC (04:30 Bogotá)
  const typed = { ...written[0], event: 'RtsZoneUser', occurredAt: wallAt('2024-03-25T09:30:00Z', 'America/Bogota') };
  h.sandbox.tracker.events.set(typed.event, typed);
  const { items } = await stock.search({
    facility: hc,
    date: [{ from: '2024-03-25T08:00:00Z', to: '2024-03-25T10:00:00Z' }],
  });
  t.same(
    items
      .filter((r) => [written[0]?.event, typed.event].includes(String(r.source?.id)))
      .map((r) => r.reportedAt)
      .sort(),
    ['2024-03-25T09:00:00.000Z', '2024-03-25T09:30:00.000Z'],
    'both read at their instants (before: the range went as Colombo wall time, 13:30-15:30, and missed the user event)',
  );
});

t.test('requisition orders searched after DHIS2 restarted in another zone: at their instants', async (t) => {
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
  const found = async () =>
    (
      await orders.search({
        facility: ous['LK-HC-101'],
        date: [{ from: '2024-06-03T08:00:00Z', to: '2024-06-03T10:00:00Z' }],
      })
    ).items.map((o) => [o.orderNumber.value, o.authoredOn]);
  // run 1, DHIS2 in Colombo: entered at 09:00 UTC (14:30 Colombo)
  await postTrackerEvents(h.client, [requisition('ReqZone0001', wallAt('2024-06-03T09:00:00Z', 'Asia/Colombo'))]);
  t.same(await found(), [['ReqZone0001', '2024-06-03T09:00:00.000Z']], 'run 1 reads it at its instant');

  // DHIS2 restarts in Bogotá: its users enter one at 09:30 UTC (04:30 Bogotá)
  restartIn(h, 'America/Bogota');
  await postTrackerEvents(h.client, [requisition('ReqZone0002', wallAt('2024-06-03T09:30:00Z', 'America/Bogota'))]);
  t.same(
    (await found()).filter(([id]) => id === 'ReqZone0002'),
    [['ReqZone0002', '2024-06-03T09:30:00.000Z']],
    'run 2 reads the new one at its instant (before: the range went as Colombo wall time and missed it)',
  );
});

// a day apart at every instant (+14:00 and -12:00): the test holds whenever it runs
t.test('an org unit opened after DHIS2 restarted in another zone is dated on its new day', async (t) => {
  const h = await startHarness({ timeZone: 'Pacific/Kiritimati' });
  t.teardown(h.close);
  const caps = createFacilityCapability(h.client, createOrgUnitReader(h.client));
  const parent = h.sandbox.state.summary().orgUnits['LKL-N-TSG'];
  const open = async (n: number) => {
    const facility = {
      id: `mfr-rz-${n}`,
      identifiers: [{ system: 'https://mfr.example.org/facility', value: `MFR-RZ-${n}` }],
      name: `Zone Dispensary ${n}`,
      status: 'active' as const,
      kind: 'facility' as const,
      partOf: parent,
    };
    await caps.upsert!(facility, memoryJournal(`rz-open-${n}`));
    return h.sandbox.state.orgUnits.get(deterministicUid('organisationUnit', facility.id))?.openingDate;
  };
  await open(1);
  restartIn(h, 'Etc/GMT+12');
  const day = () => wallAt(new Date().toISOString(), 'Etc/GMT+12').slice(0, 10);
  const before = day();
  const openingDate = await open(2);
  // a write across the server's midnight may take the next day: either is the server's
  t.ok(
    [before, day()].some((d) => openingDate === `${d}T00:00:00.000`),
    `opened on the server's day now, ${before} (got ${openingDate}; before: Kiritimati's, a day later)`,
  );
});
