/**
 * A conditional change sent again after it applied (RFC 9110 §13.1.1): a mobile app that sent a
 * PUT with If-Match, lost the answer to a timeout and sends the same PUT again gets 200 with the
 * resource as it is now and its ETag, not 412, when what it asks for is already in place; and
 * nothing is written again. So does a cancel sent again without If-Match (once a 409 "cancelled:
 * cannot be changed"), and a DELETE sent again with its now stale If-Match. Any other mismatch
 * keeps its 412 and writes nothing. Through the real mediator, the OpenLMIS connector and its
 * sandbox, on both store engines.
 */
import t, { type Test } from 'tap';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { EXT } from '../../../src/fhir/conventions.js';
import {
  orderLine,
  requisitionsAt,
  shippedDelivery,
  startRig,
  why,
  writesSince,
  type Rig,
} from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

async function rigOn(t: Test, engine: EngineCase): Promise<Rig> {
  const db = await engine.freshDatabase();
  const rig = await startRig({ DATABASE_URL: db.databaseUrl });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/** The resource as read, changed as a client changes it: without meta, these members replaced. */
const edited = (read: Resource, change: Resource): Resource => {
  const { meta: _meta, ...content } = read;
  return { ...content, ...change };
};

/** Create an order line and read it: the version a client changes, and its ETag. */
async function orderRead(rig: Rig, facility: string, order: string, id: string) {
  const facilityId = rig.lmis.seed.facilities[facility];
  const line = { ...orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 120 }), id };
  const created = await rig.fhir('PUT', `/fhir/SupplyRequest/${id}`, line);
  if (created.status !== 201) throw new Error(`create ${id}: ${why(created)}`);
  const read = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
  if (read.status !== 200) throw new Error(`read ${id}: ${why(read)}`);
  return { read: read.body as Resource, etag: read.headers.get('etag')! };
}

/** The delivery confirmed as a client does: completed, each line accepted as shipped less `rejected[i]`. */
function confirmed(read: Resource, rejected: number[] = []): Resource {
  const { meta: _meta, ...delivery } = structuredClone(read);
  delivery.status = 'completed';
  delivery.suppliedItem.forEach((item: Resource, i: number) => {
    const shipped = item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity;
    item.quantity = { ...shipped, value: shipped.value - (rejected[i] ?? 0) };
    if (rejected[i])
      item.extension.push(
        { url: EXT.quantityRejected, valueQuantity: { ...shipped, value: rejected[i] } },
        { url: EXT.rejectionReason, valueString: 'Damaged on arrival' },
      );
  });
  return delivery;
}

for (const engine of engineCases()) {
  t.test(
    `a delivery confirmation with If-Match sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await rigOn(t, engine);
      const { read, etag, podId } = await shippedDelivery(rig, 'LK-HC-105', 'RETRY-POD', [
        { productCode: 'EM-AMX250', qty: 300 },
        { productCode: 'EM-ORS', qty: 100 },
      ]);
      const confirmation = confirmed(read, [1]);

      const first = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, confirmation, { 'if-match': etag });
      t.equal(first.status, 200, why(first));
      t.equal(first.body.status, 'completed');
      const confirmedTag = first.headers.get('etag');
      t.not(confirmedTag, etag, 'the confirmation is a new version');
      const admin = await rig.lmis.login();
      const pod = async () => (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      t.equal((await pod()).status, 'CONFIRMED');

      // the answer was lost: the app sends the same PUT with the If-Match it had; the read now
      // carries the date received, the receiver and a rejected 0 on the other line, yet it is in place
      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, confirmation, { 'if-match': etag });
      t.equal(again.status, 200, `the same confirmation again, its If-Match now stale: ${why(again)}`);
      t.equal(again.body.status, 'completed', 'answered with the delivery as it is');
      t.equal(again.headers.get('etag'), confirmedTag, "with the current version's ETag");
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');

      // other quantities, or another reason, from the same stale version: a real conflict
      for (const [label, other] of [
        ['one more pack rejected', confirmed(read, [2])],
        ['nothing rejected', confirmed(read)],
        [
          'another rejection reason',
          (() => {
            const c = confirmed(read, [1]);
            c.suppliedItem[0].extension.at(-1).valueString = 'Expired';
            return c;
          })(),
        ],
      ] as const) {
        const stale = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, other, { 'if-match': etag });
        t.equal(stale.status, 412, `${label}: ${why(stale)}`);
        t.same(stale.body.issue[0].expression, ['If-Match']);
      }
      t.same(writesSince(rig, before), [], 'none of them reaches OpenLMIS');
      t.same(
        (await pod()).lineItems.map((l: Resource) => [l.quantityAccepted, l.quantityRejected]).sort(),
        [
          [2, 1],
          [2, 0],
        ].sort(),
        'the proof of delivery keeps the first confirmation',
      );
    },
  );

  t.test(
    `an order cancel with If-Match sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await rigOn(t, engine);
      const { read, etag } = await orderRead(rig, 'LK-HC-103', 'RETRY-1', 'retry-1');
      const cancel = edited(read, { status: 'cancelled' });

      const first = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-1', cancel, { 'if-match': etag });
      t.equal(first.status, 200, why(first));
      t.equal(first.body.status, 'cancelled');
      t.equal(requisitionsAt(rig, 'LK-HC-103').length, 0, 'the requisition is deleted in OpenLMIS');
      const cancelledTag = first.headers.get('etag');
      t.not(cancelledTag, etag, 'the cancel is a new version');

      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-1', cancel, { 'if-match': etag });
      t.equal(again.status, 200, `the same cancel again, its If-Match now stale: ${why(again)}`);
      t.equal(again.body.status, 'cancelled', 'answered with the order as it is');
      t.equal(again.headers.get('etag'), cancelledTag, "with the current version's ETag");
      t.equal(again.body.meta?.versionId, JSON.parse(cancelledTag!.slice(2)), 'the body is that version');
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');

      // a cancel of the same line naming another quantity is not this cancel again
      const other = await rig.fhir(
        'PUT',
        '/fhir/SupplyRequest/retry-1',
        edited(read, { status: 'cancelled', quantity: { ...read.quantity, value: 90 } }),
        { 'if-match': etag },
      );
      t.equal(other.status, 412, why(other));
      t.match(why(other), /has changed/);
      t.same(other.body.issue[0].expression, ['If-Match']);
      // nor is a change back to active
      const revived = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-1', edited(read, {}), { 'if-match': etag });
      t.equal(revived.status, 412, why(revived));
      t.same(writesSince(rig, before), [], 'neither reached OpenLMIS');
      // the same cancel sent without If-Match, and a DELETE with the stale If-Match: in place too
      const unconditional = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-1', cancel);
      t.equal(unconditional.status, 200, `the cancel again without If-Match: ${why(unconditional)}`);
      t.equal(unconditional.headers.get('etag'), cancelledTag);
      const deleted = await rig.fhir('DELETE', '/fhir/SupplyRequest/retry-1', undefined, { 'if-match': etag });
      t.equal(deleted.status, 200, `a DELETE with the stale If-Match: ${why(deleted)}`);
      t.equal(deleted.body.status, 'cancelled');
      t.same(writesSince(rig, before), [], 'none of them reached OpenLMIS');
      const now = await rig.fhir('GET', '/fhir/SupplyRequest/retry-1');
      t.equal(now.headers.get('etag'), cancelledTag, 'the order is still the cancelled version');
    },
  );

  t.test(
    `an order cancel by JSON Patch with If-Match sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await rigOn(t, engine);
      const { etag } = await orderRead(rig, 'LK-HC-104', 'RETRY-3', 'retry-3');
      const patch = (ops: unknown[]) =>
        rig.fhir('PATCH', '/fhir/SupplyRequest/retry-3', ops, {
          'if-match': etag,
          'content-type': 'application/json-patch+json',
        });
      const cancel = [{ op: 'replace', path: '/status', value: 'cancelled' }];
      const first = await patch(cancel);
      t.equal(first.status, 200, why(first));
      t.equal(first.body.status, 'cancelled');
      t.equal(requisitionsAt(rig, 'LK-HC-104').length, 0, 'the requisition is deleted in OpenLMIS');

      const before = rig.lmis.sb.state.requestCount();
      const again = await patch(cancel);
      t.equal(again.status, 200, `the same patch again, its If-Match now stale: ${why(again)}`);
      t.equal(again.headers.get('etag'), first.headers.get('etag'), "with the current version's ETag");
      const other = await patch([...cancel, { op: 'replace', path: '/quantity/value', value: 7 }]);
      t.equal(other.status, 412, `a patch that would change the quantity: ${why(other)}`);
      const tested = await patch([{ op: 'test', path: '/status', value: 'active' }, ...cancel]);
      t.equal(tested.status, 412, `a patch whose test fails on the current version: ${why(tested)}`);
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
    },
  );

  t.test(
    `a quantity change with If-Match sent again after it applied (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await rigOn(t, engine);
      const { read, etag } = await orderRead(rig, 'LK-HC-102', 'RETRY-2', 'retry-2');
      const change = edited(read, { quantity: { ...read.quantity, value: 300 } });

      const first = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-2', change, { 'if-match': etag });
      t.equal(first.status, 200, why(first));
      t.equal(first.body.quantity.value, 300);
      const changedTag = first.headers.get('etag');
      const [req] = requisitionsAt(rig, 'LK-HC-102');
      t.equal(req.extraData.fhirOrderRevision, 1, 'one amendment');

      const before = rig.lmis.sb.state.requestCount();
      const again = await rig.fhir('PUT', '/fhir/SupplyRequest/retry-2', change, { 'if-match': etag });
      t.equal(again.status, 200, `the same change again, its If-Match now stale: ${why(again)}`);
      t.equal(again.body.quantity.value, 300);
      t.equal(again.headers.get('etag'), changedTag, "with the current version's ETag");
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(req.extraData.fhirOrderRevision, 1, 'still one amendment');

      // another quantity from the same stale version: a real conflict
      const stale = await rig.fhir(
        'PUT',
        '/fhir/SupplyRequest/retry-2',
        edited(read, { quantity: { ...read.quantity, value: 400 } }),
        { 'if-match': etag },
      );
      t.equal(stale.status, 412, why(stale));
      const staleDelete = await rig.fhir('DELETE', '/fhir/SupplyRequest/retry-2', undefined, { 'if-match': etag });
      t.equal(staleDelete.status, 412, `a DELETE from the stale version, the order not cancelled: ${why(staleDelete)}`);
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      t.equal(requisitionsAt(rig, 'LK-HC-102').length, 1, 'the requisition stays');
      t.same(
        req.lineItems.filter((l: any) => l.requestedQuantity !== null).map((l: any) => l.requestedQuantity),
        [300],
        'the requisition keeps the applied change',
      );
    },
  );
}
