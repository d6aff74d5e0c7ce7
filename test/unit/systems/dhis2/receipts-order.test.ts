import t from 'tap';
import { parseConsignmentElements } from '../../../../src/systems/dhis2/consignments.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createReceiptFeed } from '../../../../src/systems/dhis2/receipts.js';
import { postTrackerEvents } from '../../../../src/systems/dhis2/tracker-report.js';
import { CONSIGNMENT } from '../../../../sandbox/dhis2/index.js';
import { startHarness } from './harness.js';

/**
 * The consignments facilities completed, read oldest update first so the last one read is the
 * bridge's next mark: on 2.36–2.37, which order tracker exports only by stored names
 * (`lastUpdated`), as on 2.38+ (`updatedAt`). A consignment completed last but dated first is the
 * mark, whatever the version.
 */
for (const version of ['2.37.9', '2.41.3']) {
  t.test(`DHIS2 ${version}: completed consignments read in update order, the last one the mark`, async (t) => {
    const h = await startHarness({ version });
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-104'];
    const program = parseConsignmentElements(
      CONSIGNMENT.program,
      CONSIGNMENT.stage,
      `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
    );
    const consignment = (event: string, ref: string, occurredAt: string) => ({
      event,
      program: CONSIGNMENT.program,
      programStage: CONSIGNMENT.stage,
      orgUnit: hc,
      occurredAt,
      status: 'COMPLETED',
      dataValues: [
        { dataElement: CONSIGNMENT.item, value: 'EM_ORS' },
        { dataElement: CONSIGNMENT.quantity, value: '40' },
        { dataElement: CONSIGNMENT.reference, value: ref },
      ],
    });
    await postTrackerEvents(h.client, [consignment('ConsJune001', 'SHP-JUNE', '2024-06-10T08:00:00.000')]);
    await new Promise((r) => setTimeout(r, 5));
    await postTrackerEvents(h.client, [consignment('ConsMay0001', 'SHP-MAY', '2024-05-10T08:00:00.000')]);
    const feed = createReceiptFeed({
      client: h.client,
      reader: createOrgUnitReader(h.client),
      products: () => loadDhis2Products({}),
      consignments: () => program,
      useCase: () => undefined,
    });
    const read = await feed.completed();
    t.same(read.deliveries.map((d) => d.identifier.value).sort(), ['SHP-JUNE', 'SHP-MAY']);
    t.equal(
      read.highWater,
      h.sandbox.tracker.events.get('ConsMay0001')!.updatedAt,
      'the mark is the consignment completed last, though dated first',
    );
    t.match(h.sandbox.tracker.eventQueries[0], {
      status: 'COMPLETED',
      order: version === '2.37.9' ? 'lastUpdated:asc' : 'updatedAt:asc',
    });
  });
}
