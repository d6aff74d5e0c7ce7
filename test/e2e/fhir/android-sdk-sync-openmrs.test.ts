/**
 * A day of one OpenMRS facility's work as the Android FHIR SDK sends it (issue 16), replayed
 * through the real mediator process against the OpenMRS sandbox, the only system: the incremental
 * Location download and a rename as a JSON Patch; an order uploaded as `PUT SupplyRequest/[id]`
 * (a later JSON Patch of it refused precisely: the connector cannot amend a sent order),
 * another as a transaction Bundle of PUT entries; a stock count PUT under the app's id; a delivery
 * confirmed; and the whole upload retried after a lost answer, nothing applied twice. Every check
 * reads the sandbox's own state.
 */
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { DRUGS, LOC } from '../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../src/fhir/conventions.js';
import { binary, download, patchHeaders, putTransaction, type SdkClient } from '../../support/android-sdk.js';
import { until } from '../../support/net.js';
import { GTIN, KILIMA_PARTY, startOpenMrsRig, why } from '../../support/openmrs-e2e.js';

const AMOXICILLIN = '10860012300058';
const PARACETAMOL = '10860012300065';
/** Written on the phone in its own zone, before the upload. */
const AUTHORED = '2026-12-01T11:00:00+03:00';
const COUNTED = '2026-12-01T08:30:00Z';

const line = (order: string, gtin: string, qty: number) => ({
  resourceType: 'SupplyRequest',
  id: randomUUID(),
  status: 'active',
  priority: 'routine',
  identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: 'https://app.example.org/orders', value: order }],
  itemCodeableConcept: { coding: [{ system: GTIN, code: gtin }] },
  quantity: { value: qty, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
  authoredOn: AUTHORED,
  deliverTo: { reference: `Location/${LOC.kilima}` },
  deliverFrom: { reference: `Location/${LOC.mwangaza}` },
});

t.test('a day of Android FHIR SDK sync against OpenMRS', async (t) => {
  const rig = await startOpenMrsRig('sdk-openmrs');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const client: SdkClient = rig;
  const requisitions = () => [...sb.stock.operations.values()].filter((o) => o.operationType === 'requisition');

  // morning: the first download brings the facilities, stamped (never 1970)
  const first = await download(client, '1970-01-01T00:00:00Z');
  t.ok(
    [LOC.kilima, LOC.mwangaza].every((id) => first.ids.includes(id)),
    `both facilities (${first.pages} pages)`,
  );
  t.equal(new Set(first.ids).size, first.ids.length, 'none twice');
  t.notMatch(first.latest, /^1970/);

  // a local rename, uploaded as a JSON Patch; the midday download brings it and nothing else
  const renamed = await fhir(
    'PATCH',
    `/fhir/Location/${LOC.kilima}`,
    [{ op: 'replace', path: '/name', value: 'Kilima Health Centre II' }],
    patchHeaders,
  );
  t.equal(renamed.status, 200, `PATCH renames: ${why(renamed)}`);
  t.equal(sb.store.locations.get(LOC.kilima)!.name, 'Kilima Health Centre II', 'renamed in OpenMRS');
  const midday = await download(client, first.latest);
  t.same(midday.ids, [LOC.kilima], 'the renamed facility and nothing else');

  // a new order, uploaded on its own as PUT under the app's id
  const lineA = line('SDK-OMRS-1', AMOXICILLIN, 200);
  const put = await fhir('PUT', `/fhir/SupplyRequest/${lineA.id}`, lineA);
  t.equal(put.status, 201, `PUT creates: ${why(put)}`);
  await until('SDK-OMRS-1 submitted', async () => requisitions().find((o) => o.status === 'SUBMITTED'), 10_000);

  // the nurse edits the submitted order on the phone (a JSON Patch): the OpenMRS connector cannot
  // amend a sent order, says so, and the requisition is untouched
  const writesBeforeEdit = JSON.stringify(sb.store.writes);
  const edit = [{ op: 'replace', path: '/quantity/value', value: 250 }];
  const patched = await fhir('PATCH', `/fhir/SupplyRequest/${lineA.id}`, edit, patchHeaders);
  t.equal(patched.status, 422, `the edit is refused: ${why(patched)}`);
  t.match(why(patched), /cannot change order SDK-OMRS-1.*no way to amend an order already sent/);
  t.same(
    requisitions().map((o: any) => [o.status, o.items.map((i: any) => i.quantity)]),
    [['SUBMITTED', [200]]],
    'the requisition in OpenMRS is unchanged',
  );
  t.equal(JSON.stringify(sb.store.writes), writesBeforeEdit, 'nothing written to OpenMRS');
  t.equal((await fhir('GET', `/fhir/SupplyRequest/${lineA.id}`)).body.quantity.value, 200, 'reads back as sent');

  // a two-line order and a rename back (a Binary PATCH), uploaded as one transaction Bundle
  const bundle = putTransaction([line('SDK-OMRS-2', AMOXICILLIN, 100), line('SDK-OMRS-2', PARACETAMOL, 40)]);
  bundle.entry.push({
    resource: binary([{ op: 'replace', path: '/name', value: 'Kilima Health Centre' }]),
    request: { method: 'PATCH', url: `Location/${LOC.kilima}` },
  });
  const tx = await fhir('POST', '/fhir', bundle);
  t.equal(tx.status, 200, why(tx));
  t.same(
    tx.body.entry?.map((e: { response: { status: string } }) => e.response.status.slice(0, 3)),
    ['201', '201', '200'],
  );
  await until('two requisitions submitted', async () =>
    requisitions().filter((o) => o.status === 'SUBMITTED').length === 2 ? true : undefined,
  );
  t.equal(sb.store.locations.get(LOC.kilima)!.name, 'Kilima Health Centre', 'renamed back in OpenMRS');

  // what was sent is what downloads back: the app's own ids, authoredOn as written on the phone
  t.ok(
    requisitions().every((o: any) => Date.parse(o.operationDate) === Date.parse(AUTHORED)),
    'OpenMRS dates each requisition when it was authored (operationDate), not when it arrived',
  );
  const orders = await download(client, '1970-01-01T00:00:00Z', 'SupplyRequest');
  const sent = [
    lineA,
    ...bundle.entry.filter((e: any) => e.resource.resourceType === 'SupplyRequest').map((e: any) => e.resource),
  ];
  t.same(
    sent.map((l) => orders.resources.get(l.id)?.authoredOn),
    sent.map(() => AUTHORED),
    'every line downloads under the app’s id with authoredOn as sent',
  );
  t.equal(orders.ids.length, sent.length, 'and no second copy of any of them');
  const byDate = await fhir('GET', `/fhir/SupplyRequest?date=lt${encodeURIComponent('2026-12-01T08:00:00Z')}`);
  t.same(byDate.body.entry ?? [], [], 'a search by date filters on authoredOn (08:00Z is after it)');

  // a stock count at the store, PUT under the app's id
  const countId = randomUUID();
  const count = {
    resourceType: 'InventoryReport',
    id: countId,
    identifier: [{ system: 'https://app.example.org/counts', value: 'SDK-OMRS-CNT-1' }],
    status: 'active',
    countType: 'snapshot',
    reportedDateTime: '2026-12-01T09:00:00Z',
    inventoryListing: [
      {
        location: { reference: `Location/${LOC.mwangaza}` },
        countingDateTime: COUNTED,
        item: [
          {
            extension: [
              { url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/lot-number', valueString: 'AMX-2401' },
            ],
            quantity: { value: 930, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
            item: { concept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
          },
        ],
      },
    ],
  };
  const counted = await fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.ok([201, 202].includes(counted.status), `the count: ${why(counted)}`);
  await until('the stocktake completed', async () =>
    [...sb.stock.operations.values()].some((o) => o.operationType === 'stocktake' && o.status === 'COMPLETED')
      ? true
      : undefined,
  );
  const stocktake = [...sb.stock.operations.values()].find((o) => o.operationType === 'stocktake')!;
  t.equal(Date.parse(stocktake.operationDate), Date.parse(COUNTED), 'OpenMRS dates the stocktake when it was counted');
  const countRead = await fhir('GET', `/fhir/R5/InventoryReport/${countId}`);
  t.equal(countRead.status, 200, why(countRead));
  t.same(
    countRead.body.inventoryListing.map((l: any) => l.countingDateTime),
    [COUNTED],
    'the count reads back with countingDateTime as sent',
  );

  // the store ships SDK-OMRS-1; the facility confirms what arrived
  const orderA = requisitions()[0]; // SDK-OMRS-1, the first written
  const transfer = sb.stock.fulfil(orderA.uuid);
  const search = await fhir(
    'GET',
    `/fhir/R5/SupplyDelivery?destination=${encodeURIComponent(`Location/${LOC.kilima}`)}&status=in-progress`,
  );
  t.equal(search.status, 200, why(search));
  t.equal(search.body.entry?.length, 1, 'one in-progress delivery');
  const confirm = search.body.entry[0].resource;
  confirm.status = 'completed';
  for (const item of confirm.suppliedItem)
    item.quantity = item.extension.find((e: any) => e.url.endsWith('/quantity-shipped')).valueQuantity;
  const confirmed = await fhir('PUT', `/fhir/R5/SupplyDelivery/${confirm.id}`, confirm);
  t.ok(confirmed.status < 300, why(confirmed));
  await until('the transfer completed', async () =>
    sb.stock.operations.get(transfer.uuid)!.status === 'COMPLETED' ? true : undefined,
  );
  const amox = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid;
  t.equal(sb.stock.quantity(KILIMA_PARTY, amox), 200, 'the stock arrived at the facility');

  // the app lost every answer and uploads the whole day again: nothing happens twice in OpenMRS
  const writesBefore = JSON.stringify(sb.store.writes);
  const operationsBefore = sb.stock.operations.size;
  const again = await fhir('PUT', `/fhir/SupplyRequest/${lineA.id}`, lineA);
  t.equal(again.status, 200, `the repeated PUT changes nothing: ${why(again)}`);
  const txAgain = await fhir('POST', '/fhir', bundle);
  t.equal(txAgain.status, 200, why(txAgain));
  const countAgain = await fhir('PUT', `/fhir/R5/InventoryReport/${countId}`, count);
  t.ok(countAgain.status < 300, `the repeated count: ${why(countAgain)}`);
  const confirmAgain = await fhir('PUT', `/fhir/R5/SupplyDelivery/${confirm.id}`, confirm);
  t.ok(confirmAgain.status < 300, `the same confirmation again: ${why(confirmAgain)}`);
  await new Promise((r) => setTimeout(r, 500)); // let any queued write reach the sandbox before counting
  t.equal(JSON.stringify(sb.store.writes), writesBefore, 'no write applied twice in OpenMRS');
  t.equal(sb.stock.operations.size, operationsBefore, 'no new stock operation');
  t.equal(sb.stock.quantity(KILIMA_PARTY, amox), 200, 'the stock arrived once');
});
