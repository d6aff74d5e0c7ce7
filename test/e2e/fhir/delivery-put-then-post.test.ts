/**
 * A delivery confirmed by PUT and then POSTed with the same content (an app that lost the PUT's
 * answer falls back to POST; two code paths of one app) is that confirmation sent again: the same
 * delivery by identifier, the same lines, date and receiver. It was refused 409 "identifier
 * already used for a different payload": the outbox compared the whole value, whose FHIR id is
 * the way it came (the PUT's URL id, the id a POST's identifier derives). Now it is answered as
 * the PUT's write: 200 with the delivery under the id it reads as, nothing written. A POST stating
 * another quantity is still a 409 naming the element. Through the real mediator, the OpenLMIS
 * connector and its sandbox, on both store engines.
 */
import t from 'tap';
import { EXT } from '../../../src/fhir/conventions.js';
import { engineCases } from '../../support/outbox-engines.js';
import { confirmedInFull, shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

for (const engine of engineCases())
  t.test(`a delivery confirmed by PUT, then POSTed the same (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    const { read, podId } = await shippedDelivery(rig, 'LK-HC-105', 'PUT-THEN-POST', [
      { productCode: 'EM-ORS', qty: 100 },
    ]);
    const confirmation = confirmedInFull(read, '2026-11-30T09:15:00Z');
    const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${podId}`, confirmation);
    t.equal(put.status, 200, why(put));

    const before = rig.lmis.sb.state.requestCount();
    const { id: _id, ...posted } = confirmation;
    const create = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', posted);
    t.equal(create.status, 200, `the same confirmation by POST is the PUT's write: ${why(create)}`);
    t.equal(create.body.id, podId, 'answered under the id the delivery reads as');
    t.equal(create.headers.get('etag'), put.headers.get('etag'), "the PUT's version");
    const again = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${create.body.id}`);
    t.equal(again.status, 200, `the id answered reads: ${why(again)}`);
    t.equal(again.body.status, 'completed');
    // the same as a transaction's POST entry
    const bundle = await rig.fhir('POST', '/fhir/R5', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: posted, request: { method: 'POST', url: 'SupplyDelivery' } }],
    });
    t.equal(bundle.status, 200, `a transaction POSTing it: ${why(bundle)}`);
    const [entry] = bundle.body.entry ?? [];
    t.match(entry?.response?.status, /^200/, `the entry: ${JSON.stringify(entry?.response)}`);
    t.equal(entry?.resource?.id, podId, 'the entry answered under the delivery id');

    // another quantity is another confirmation of a completed delivery: refused, at its element
    const fewer = structuredClone(posted);
    const item = fewer.suppliedItem[0];
    item.quantity.value -= 1;
    item.extension.push(
      { url: EXT.quantityRejected, valueQuantity: { ...item.quantity, value: 1 } },
      { url: EXT.rejectionReason, valueString: 'Damaged on arrival' },
    );
    const changed = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', fewer);
    t.equal(changed.status, 409, `another quantity by POST: ${why(changed)}`);
    t.match(changed.body.issue?.[0]?.diagnostics, /other quantities/, 'says what differs');
    t.same(changed.body.issue?.[0]?.expression, ['SupplyDelivery.identifier'], 'at the delivery it confirms');
    t.same(writesSince(rig, before), [], 'nothing more reaches OpenLMIS');
  });
