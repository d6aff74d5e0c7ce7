/**
 * A mobile app confirms an OpenMRS delivery under its own delivery number, based on the order it
 * posted (by the order line's id or by the order number), as it can in OpenLMIS: the transfer
 * that fulfils that order is completed, once, however often the confirmation is sent. Before the
 * order has been shipped (still queued for OpenMRS, or not yet fulfilled) the confirmation is a
 * 422 at SupplyDelivery.basedOn saying so; it used to be "is not an OpenMRS transfer" at
 * identifier, whatever the delivery was based on. And a `based-on` search lists the deliveries of
 * that order only, by the line id the order reads under or by the id an app PUT the line under:
 * it listed none, as an OpenMRS delivery names its order by number, not by line ids. Through the
 * real mediator and the OpenMRS sandbox, both store engines.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE } from '../../../../src/fhir/conventions.js';
import { AMOXICILLIN, DELIVERIES, ORDERS, order, units } from '../../../support/openmrs-app-orders.js';
import { until } from '../../../support/net.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { GTIN, OPENMRS_RIG_PASSWORD, startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';

/** The app's own confirmation (R4: one line), received in full. */
const delivery = (number: string, basedOn: Record<string, unknown>, qty: number) => ({
  resourceType: 'SupplyDelivery',
  status: 'completed',
  identifier: [{ system: DELIVERIES, value: number }],
  basedOn: [basedOn],
  destination: { reference: `Location/${LOC.kilima}` },
  suppliedItem: { quantity: units(qty), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
});

/** The requisition OpenMRS holds for this order number (its external reference ends in it). */
const requisitionIn = (rig: OpenMrsRig, number: string) =>
  [...rig.sb.stock.operations.values()].find(
    (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith(`|${number}`),
  );

for (const engine of engineCases())
  t.test(
    `a delivery confirmed under the app's own number, based on its order (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-based-on');
      const { sb, fhir } = rig;
      const requisitionOf = (number: string) => requisitionIn(rig, number);

      const byLine = await fhir('POST', '/fhir/SupplyRequest', order('APP-1', 200));
      t.equal(byLine.status, 201, why(byLine));
      const lineBased = delivery('DL-1', { reference: `SupplyRequest/${byLine.body.id}` }, 200);

      const early = await fhir('POST', '/fhir/SupplyDelivery', lineBased);
      t.equal(early.status, 422, `before it is shipped: ${why(early)}`);
      t.match(early.body.issue, [
        {
          diagnostics: /no OpenMRS transfer or receipt into .* fulfils the order .*: it has not been shipped/,
          expression: ['SupplyDelivery.basedOn'],
        },
      ]);

      const transfer = sb.stock.fulfil(requisitionOf('APP-1')!.uuid);
      const confirmed = await fhir('POST', '/fhir/SupplyDelivery', lineBased);
      t.equal(confirmed.status, 201, why(confirmed));
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'the transfer fulfilling it is completed');
      const again = await fhir('POST', '/fhir/SupplyDelivery', lineBased);
      t.equal(again.status, 200, `sent again: ${why(again)}`);
      t.equal(again.body.id, confirmed.body.id, 'answered as the same delivery');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
      const byOwnNumber = await fhir(
        'GET',
        `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-1`)}`,
      );
      t.same(
        (byOwnNumber.body.entry ?? []).map((e: any) => e.resource.id),
        [confirmed.body.id],
        'a search by its own delivery number finds it',
      );

      // by the order number, an order still queued for OpenMRS: not shipped, said so
      sb.faults.add({
        method: 'POST',
        path: '/openmrs/ws/rest/v1/stockmanagement/stockoperation',
        action: { type: 'status', status: 503 },
      });
      const queued = await fhir('POST', '/fhir/SupplyRequest', order('APP-2', 30));
      t.equal(queued.status, 202, why(queued));
      const numberBased = delivery(
        'DL-2',
        { identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-2' } },
        30,
      );
      const notYet = await fhir('POST', '/fhir/SupplyDelivery', numberBased);
      t.equal(notYet.status, 422, why(notYet));
      t.match(notYet.body.issue, [
        { diagnostics: /fulfils the order APP-2: it has not been shipped/, expression: ['SupplyDelivery.basedOn'] },
      ]);
      sb.faults.clear();
      await until(
        'the queued order reaches OpenMRS',
        async () => requisitionOf('APP-2')?.status === 'SUBMITTED',
        30_000,
      );
      const second = sb.stock.fulfil(requisitionOf('APP-2')!.uuid);
      const byNumber = await fhir('POST', '/fhir/SupplyDelivery', numberBased);
      t.equal(byNumber.status, 201, why(byNumber));
      t.equal(sb.stock.operations.get(second.uuid)!.status, 'COMPLETED', 'its transfer is completed');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 2, 'each transfer completed once');
    },
  );

for (const engine of engineCases())
  t.test(
    `a based-on search lists the deliveries of that order only (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-based-on-search');
      const { sb, fhir } = rig;
      const requisitionOf = (number: string) => requisitionIn(rig, number)!;
      const posted = await fhir('POST', '/fhir/SupplyRequest', order('APP-3', 40));
      t.equal(posted.status, 201, why(posted));
      // the Android FHIR SDK's way: PUT under an id of the app's own
      const own = await fhir('PUT', '/fhir/SupplyRequest/app-line-4', { ...order('APP-4', 50), id: 'app-line-4' });
      t.equal(own.status, 201, why(own));
      for (const number of ['APP-3', 'APP-4']) sb.stock.fulfil(requisitionOf(number).uuid);

      const orderOf = (d: any) => d.basedOn.map((b: any) => b.identifier?.value ?? b.reference);
      for (const [label, id, number] of [
        ['the line id the order reads under', posted.body.id, 'APP-3'],
        ["the app's own id", 'app-line-4', 'APP-4'],
      ]) {
        const found = await fhir(
          'GET',
          `/fhir/R5/SupplyDelivery?based-on=${encodeURIComponent(`SupplyRequest/${id}`)}`,
        );
        t.equal(found.status, 200, why(found));
        t.same(
          (found.body.entry ?? []).map((e: any) => orderOf(e.resource)),
          [[number]],
          `by ${label}: the delivery of ${number} only`,
        );
      }
    },
  );

for (const engine of engineCases())
  t.test(
    `a delivery based on a line the app PUT under its own id, found by its own number (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-own-ids');
      const { sb, fhir } = rig;
      const own = await fhir('PUT', '/fhir/SupplyRequest/app-line-5', { ...order('APP-5', 60), id: 'app-line-5' });
      t.equal(own.status, 201, why(own));
      const transfer = sb.stock.fulfil(requisitionIn(rig, 'APP-5')!.uuid);

      // the write matches the order as a based-on search does: by the line's id, the app's own
      const confirmed = await fhir(
        'POST',
        '/fhir/SupplyDelivery',
        delivery('DL-5', { reference: 'SupplyRequest/app-line-5' }, 60),
      );
      t.equal(confirmed.status, 201, why(confirmed));
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'the transfer fulfilling it is completed');

      // an app that lost the answer finds what it wrote by its own delivery number
      const found = await fhir('GET', `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-5`)}`);
      t.equal(found.status, 200, why(found));
      t.same(
        (found.body.entry ?? []).map((e: any) => [e.resource.id, e.resource.identifier[0].value]),
        [[confirmed.body.id, 'DL-5']],
        'the delivery it confirmed, once',
      );
      const elsewhere = await fhir(
        'GET',
        `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-5`)}&destination=Location/${LOC.mwangaza}`,
      );
      t.same(elsewhere.body.entry ?? [], [], 'not at another destination');
      const other = await fhir('GET', `/fhir/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-6`)}`);
      t.same(other.body.entry ?? [], [], 'nor under another number');
    },
  );

/**
 * An order shipped in two parts: the confirmation of part 1 completes it, its answer is lost, the
 * storekeeper dispatches part 2 before the outbox retries. The retry acts on the transfer the
 * first attempt chose (part 1, already completed: answered as applied); it used to look the order
 * up again, find part 2 the only one open and complete it too (stock never received booked).
 */
for (const engine of engineCases())
  t.test(
    `a retried confirmation completes the part it chose, not a part shipped since (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // the lost answer is a hang: the attempt waits this long, the test dispatches part 2 meanwhile
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-parts-retry', { OPENMRS_TIMEOUT_MS: '15000' });
      const { sb, fhir } = rig;
      const posted = await fhir('POST', '/fhir/SupplyRequest', order('APP-9', 200));
      t.equal(posted.status, 201, why(posted));
      const requisition = requisitionIn(rig, 'APP-9')!;
      const item = requisition.items[0].stockItemUuid;
      const part1 = sb.stock.fulfil(requisition.uuid, { [item]: 100 });

      sb.faults.add({
        method: 'POST',
        path: '/openmrs/ws/rest/v1/stockmanagement/stockoperationaction',
        action: { type: 'afterApply', answer: { type: 'hang' } },
        times: 1,
      });
      const dl1 = delivery(
        'DL-9',
        { identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-9' } },
        100,
      );
      const confirming = fhir('POST', '/fhir/SupplyDelivery', dl1);
      await until('part 1 completed', async () => sb.stock.operations.get(part1.uuid)!.status === 'COMPLETED', 30_000);
      const part2 = sb.stock.fulfil(requisition.uuid, { [item]: 100 });
      const accepted = await confirming;
      t.ok([201, 202].includes(accepted.status), why(accepted));

      const jobs = async () => {
        const res = await fetch(`${rig.mediator.url}/admin/outbox/jobs`, {
          headers: { authorization: `Bearer ${OPENMRS_RIG_PASSWORD}` },
        });
        return ((await res.json()) as { jobs: { status: string }[] }).jobs;
      };
      await until('the confirmation delivered', async () => (await jobs()).every((j) => j.status === 'done'), 60_000);
      t.equal(sb.stock.operations.get(part1.uuid)!.status, 'COMPLETED', 'part 1 completed');
      t.equal(sb.stock.operations.get(part2.uuid)!.status, 'DISPATCHED', 'part 2 still on its way');
      t.equal(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    },
  );

/** The confirmation on R5: one resource, its lines in suppliedItem. */
const deliveryR5 = (number: string, basedOn: Record<string, unknown>, qty: number) => {
  const r4 = delivery(number, basedOn, qty);
  return { ...r4, suppliedItem: [r4.suppliedItem] };
};

for (const engine of engineCases())
  t.test(
    `a delivery confirmed on one FHIR release reads by its id on the other (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-cross-release');
      const { sb, fhir } = rig;
      const shipped = async (number: string) => {
        const posted = await fhir('POST', '/fhir/SupplyRequest', order(number, 70));
        t.equal(posted.status, 201, why(posted));
        sb.stock.fulfil(requisitionIn(rig, number)!.uuid);
        return posted.body.id as string;
      };
      /** The delivery read on `base` by `id`, following a redirect (fetch does) to the id it has there. */
      const readOn = async (base: string, id: string) => {
        const read = await fhir('GET', `${base}/SupplyDelivery/${id}`);
        t.equal(read.status, 200, `${base}/SupplyDelivery/${id}: ${why(read)}`);
        return read.body;
      };
      const searchOn = async (base: string, number: string) => {
        const found = await fhir(
          'GET',
          `${base}/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|${number}`)}`,
        );
        return (found.body.entry ?? []).map((e: any) => e.resource.id);
      };

      // on R4, a line id the mediator gave it; on R5 the delivery is one resource under its own id
      const r4Line = await shipped('APP-7');
      const onR4 = await fhir(
        'POST',
        '/fhir/SupplyDelivery',
        delivery('DL-7', { reference: `SupplyRequest/${r4Line}` }, 70),
      );
      t.equal(onR4.status, 201, why(onR4));
      const r5Ids = await searchOn('/fhir/R5', 'DL-7');
      t.equal(r5Ids.length, 1, 'R5 lists it once');
      const r5 = await readOn('/fhir/R5', onR4.body.id);
      t.equal(r5.id, r5Ids[0], 'the R4 id reads on R5 as the delivery R5 lists');
      t.equal(r5.suppliedItem.length, 1);
      t.equal(r5.suppliedItem[0].quantity.value, 70);

      // the reverse: posted on R5, read on R4 by the id the POST answered
      const r5Line = await shipped('APP-8');
      const onR5 = await fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        deliveryR5('DL-8', { reference: `SupplyRequest/${r5Line}` }, 70),
      );
      t.equal(onR5.status, 201, why(onR5));
      const r4Ids = await searchOn('/fhir', 'DL-8');
      t.equal(r4Ids.length, 1, 'R4 lists its one line');
      const r4 = await readOn('/fhir', onR5.body.id);
      t.equal(r4.id, r4Ids[0], 'the R5 id reads on R4 as the line R4 lists');
      t.equal(r4.suppliedItem.quantity.value, 70);
    },
  );
