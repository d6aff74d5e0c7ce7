import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { Outbox } from '../../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../../src/routing/index.js';
import { openhimConfigToSettings } from '../../../../src/openhim/config-defs.js';
import { openStore } from '../../../../src/store/index.js';
import { ConnectorSet } from '../../../../src/systems/index.js';
import type { Dhis2Connector } from '../../../../src/systems/dhis2/index.js';
import {
  CONSIGNMENT,
  REQUISITION,
  REQUISITION_DATA_ELEMENTS,
  SEED_API_TOKEN,
  startDhis2Sandbox,
} from '../../../../sandbox/dhis2/index.js';
import { memoryJournal } from './harness.js';

/**
 * The program capabilities follow a live settings change (issue 11 leftover 4): adding
 * dhis2.consignmentProgram to a running mediator serves SupplyDelivery from DHIS2 without a
 * restart (the connector is reconfigured in place, routing rebuilt over it as main.ts does), and
 * removing it stops serving it; the requisition feed the same.
 */
const GTIN = 'https://www.gs1.org/gtin';

t.test('adding and removing dhis2.consignmentProgram live', async (t) => {
  const sandbox = await startDhis2Sandbox();
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({ store });
  const base = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN, 'dhis2.timeoutMs': 3_000 };
  const connectors = await ConnectorSet.open(store, base);
  t.teardown(async () => {
    await outbox.stop();
    await connectors.close();
    await store.close();
    await sandbox.close();
  });
  const dhis2 = connectors.list()[0] as Dhis2Connector;
  t.equal(dhis2.system, 'dhis2');
  t.equal(dhis2.deliveries, undefined, 'no consignment program: no delivery capability');
  t.equal(dhis2.receipts, undefined);
  t.equal(dhis2.requisitions, undefined);
  t.equal(dhis2.orders, undefined, 'no requisition program: no SupplyRequests');
  t.equal(createRoutingServices({ connectors: connectors.list(), outbox, store }).deliveries, undefined);
  t.equal(createRoutingServices({ connectors: connectors.list(), outbox, store }).orders, undefined);

  await connectors.apply({
    ...base,
    'dhis2.consignmentProgram': CONSIGNMENT.program,
    'dhis2.consignmentStage': CONSIGNMENT.stage,
    'dhis2.consignmentDataElements': `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
    'dhis2.requisitionProgram': REQUISITION.program,
    'dhis2.requisitionStage': REQUISITION.stage,
    'dhis2.requisitionDataElements': REQUISITION_DATA_ELEMENTS,
  });
  t.equal(connectors.list()[0], dhis2, 'the same connector, reconfigured in place');
  t.ok(dhis2.deliveries, 'the delivery capability is there at once');
  t.ok(dhis2.receipts && dhis2.requisitions, 'and the receipt and requisition feeds');
  t.ok(dhis2.orders?.readOnly, 'and the requisitions as SupplyRequests, read only');
  t.ok(createRoutingServices({ connectors: connectors.list(), outbox, store }).orders?.readOnly?.());
  const capability = dhis2.deliveries;

  const hc = sandbox.state.summary().orgUnits['LK-HC-103'];
  const delivery: Delivery = {
    identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-LIVE-1' },
    status: 'completed',
    occurredAt: '2024-05-02T09:00:00Z',
    destination: { id: hc },
    lines: [
      { product: { system: GTIN, code: '10860012300072' }, quantityAccepted: { value: 90, unit: 'dispensing-unit' } },
    ],
  };
  const written = await dhis2.deliveries!.confirm(delivery, memoryJournal('live-1'));
  t.same(written.ids, { consignment: `${hc}~SHP-LIVE-1` });
  const services = createRoutingServices({ connectors: connectors.list(), outbox, store });
  t.ok(services.deliveries, 'routing rebuilt over the connector serves SupplyDelivery');
  const found = await services.deliveries!.search({ facility: hc });
  t.same(
    found.items.map((d) => [d.identifier.value, d.lines.map((l) => l.quantityAccepted?.value)]),
    [['SHP-LIVE-1', [90]]],
    'and reads the consignment back from DHIS2',
  );

  await connectors.apply({
    ...base,
    'dhis2.consignmentProgram': CONSIGNMENT.program,
    'dhis2.consignmentStage': CONSIGNMENT.stage,
    'dhis2.consignmentDataElements': `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
    'dhis2.pageSize': 100,
  });
  t.equal(dhis2.deliveries, capability, 'another setting changed: the same capability object');
  t.equal(dhis2.requisitions, undefined, 'the requisition program removed: no feed');
  t.equal(dhis2.orders, undefined, 'and no SupplyRequests');

  await connectors.apply(base);
  t.equal(dhis2.deliveries, undefined, 'removed: no delivery capability, without a restart');
  t.equal(createRoutingServices({ connectors: connectors.list(), outbox, store }).deliveries, undefined);

  await t.rejects(
    connectors.apply({ ...base, 'dhis2.consignmentProgram': CONSIGNMENT.program }),
    /dhis2.consignmentDataElements needs item=<data element UID>/,
    'an incomplete program is refused',
  );
  t.equal(dhis2.deliveries, undefined, 'and the running configuration is left as it was');
});

t.test('from the OpenHIM console: the RTS programs and dhis2.rtsItemCode reach the connector live', async (t) => {
  const sandbox = await startDhis2Sandbox();
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const base = { 'dhis2.baseUrl': sandbox.url, 'dhis2.apiToken': SEED_API_TOKEN, 'dhis2.timeoutMs': 3_000 };
  const connectors = await ConnectorSet.open(store, base);
  t.teardown(async () => {
    await connectors.close();
    await store.close();
    await sandbox.close();
  });
  const dhis2 = connectors.list()[0] as Dhis2Connector;
  // what an operator types into the console's configDefs fields, as OpenHIM hands it back
  const fromConsole = openhimConfigToSettings({
    dhis2ConsignmentProgram: CONSIGNMENT.program,
    dhis2ConsignmentStage: CONSIGNMENT.stage,
    dhis2ConsignmentDataElements: `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference}`,
    dhis2RequisitionProgram: REQUISITION.program,
    dhis2RequisitionStage: REQUISITION.stage,
    dhis2RequisitionDataElements: REQUISITION_DATA_ELEMENTS,
    dhis2RtsItemCode: 'msupply',
    dhis2DataElementIdScheme: 'UID',
  });
  t.match(fromConsole, {
    'dhis2.consignmentProgram': CONSIGNMENT.program,
    'dhis2.requisitionProgram': REQUISITION.program,
    'dhis2.rtsItemCode': 'msupply',
    'dhis2.dataElementIdScheme': 'UID',
  });
  await connectors.apply({ ...base, ...fromConsole });
  t.ok(dhis2.deliveries && dhis2.requisitions, 'consignments and requisitions served without a restart');
  const hc = sandbox.state.summary().orgUnits['LK-HC-103'];
  await dhis2.deliveries!.confirm(
    {
      identifier: { system: 'https://msupply.example.org/shipments', value: 'SHP-CONSOLE-1' },
      status: 'completed',
      occurredAt: '2024-05-03T09:00:00Z',
      destination: { id: hc },
      lines: [
        { product: { system: GTIN, code: '10860012300072' }, quantityAccepted: { value: 40, unit: 'dispensing-unit' } },
      ],
    },
    memoryJournal('console-1'),
  );
  const event = [...sandbox.tracker.events.values()].find((e) =>
    e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === 'SHP-CONSOLE-1'),
  );
  t.equal(
    event?.dataValues.find((d) => d.dataElement === CONSIGNMENT.item)?.value,
    'ORS205S',
    'the item named by its Open mSupply code, as the console asked',
  );
});
