/**
 * OpenMRS orders end to end (issue 13 "Must show"): through the real mediator, an order posted as
 * SupplyRequests becomes one submitted requisition stock operation in the OpenMRS sandbox; when
 * the supplying store ships it (a transfer out), it reads as an in-progress SupplyDelivery based
 * on that order, and its confirmation completes the transfer exactly once, the stock arriving at
 * the facility.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../../src/fhir/conventions.js';
import { until } from '../../../support/net.js';
import { GTIN, KILIMA_PARTY, startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';

const ORDERS = 'https://app.example.org/orders';

const line = (gtin: string, qty: number) => ({
  resourceType: 'SupplyRequest',
  status: 'active',
  priority: 'routine',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'OMRS-ORD-1' }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: gtin }] },
  quantity: { value: qty, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: '2026-12-01T08:00:00Z',
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

t.test('an order and its receipt round-trip as SupplyRequest and SupplyDelivery', async (t) => {
  const rig = await startOpenMrsRig('openmrs-order-e2e');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [line('10860012300058', 200), line('10860012300072', 40)].map((r, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
      resource: r,
      request: { method: 'POST', url: 'SupplyRequest' },
    })),
  };

  const posted = await fhir('POST', '/fhir', bundle);
  t.equal(posted.status, 200, why(posted));
  const requisitions = () => [...sb.stock.operations.values()].filter((o) => o.operationType === 'requisition');
  await until('the requisition submitted', async () => requisitions().find((o) => o.status === 'SUBMITTED'), 10_000);
  t.equal((await fhir('POST', '/fhir', bundle)).status, 200, 'the same order again');
  t.equal(requisitions().length, 1, 'one requisition');
  t.equal(sb.store.writes['stockoperation.submit.requisition'], 1, 'submitted once');
  const read = await fhir('GET', `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDERS}|OMRS-ORD-1`)}`);
  t.equal(read.status, 200, why(read));
  const postedIds = posted.body.entry.map((e: any) => /SupplyRequest\/([^/]+)/.exec(e.response.location)![1]).sort();
  t.same(read.body.entry.map((e: any) => e.resource.id).sort(), postedIds, 'read back with the posted ids');
  t.ok(read.body.entry.every((e: any) => e.resource.deliverFrom?.reference === `Location/${LOC.mwangaza}`));

  // the supplying store ships it (what its storekeeper would do in the O3 stock app)
  const transfer = sb.stock.fulfil(requisitions()[0].uuid);
  const search = await fhir(
    'GET',
    `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
  );
  t.equal(search.status, 200, why(search));
  t.equal(search.body.entry?.length, 1, 'one in-progress delivery');
  const delivery = search.body.entry[0].resource;
  t.match(JSON.stringify(delivery), /OMRS-ORD-1/, 'based on the order');
  delivery.status = 'completed';
  for (const item of delivery.suppliedItem)
    item.quantity = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
  const confirmed = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
  t.ok(confirmed.status < 300, why(confirmed));
  await until(
    'the transfer completed',
    async () => sb.stock.operations.get(transfer.uuid)!.status === 'COMPLETED',
    10_000,
  );
  const again = await fhir('PUT', `/fhir/R5/SupplyDelivery/${delivery.id}`, delivery);
  t.ok(again.status < 300, why(again));
  t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
  const amox = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid;
  t.equal(sb.stock.quantity(KILIMA_PARTY, amox), 200, 'the stock arrived at the facility');
});
