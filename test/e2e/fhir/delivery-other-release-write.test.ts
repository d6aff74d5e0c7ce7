/**
 * A delivery changed by the id the other FHIR release serves it under: R4 serves a delivery as one
 * SupplyDelivery per line (a line id the mediator gives a delivery POSTed there), R5 as one
 * resource under the delivery's id. A read by the other release's id redirects (301) to the id
 * this base serves; a PUT, PATCH or transaction entry by it is a 409 naming that id, writing
 * nothing: it used to be taken as a write of an unknown id (PUT creates with the client's id), and
 * then answered a 301 that OkHttp (the Android FHIR SDK) follows as a GET without the body, reading
 * the resource unchanged and marking the change uploaded. The client sends its change again by the
 * id named and it is applied. DELETE is not served for SupplyDelivery (405) either way. Through the real mediator, the OpenMRS and OpenLMIS connectors and sandboxes, both store
 * engines.
 */
import t from 'tap';
import { LOC } from '../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../src/fhir/conventions.js';
import { engineCases } from '../../support/outbox-engines.js';
import { GTIN, OPENMRS_RIG_AUTH, startOpenMrsRigOn } from '../../support/openmrs-e2e.js';
import { RIG_AUTH, shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;
const ORDERS = 'https://app.example.org/orders';
const DELIVERIES = 'https://app.example.org/deliveries';
const AMOXICILLIN = '10860012300058';
const units = (value: number) => ({ value, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' });

/** One request as a client that does not follow redirects sends it: the 301 itself is the answer. */
async function unfollowed(base: string, auth: string, method: string, url: string, body?: unknown, type?: string) {
  const res = await fetch(`${base}${url}`, {
    method,
    redirect: 'manual',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: auth, accept: 'application/fhir+json', 'content-type': type ?? 'application/fhir+json' },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, location: res.headers.get('location') };
}

for (const engine of engineCases()) {
  t.test(
    `OpenMRS: a delivery confirmed on R4, changed on R5 by its R4 id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'cc-openmrs-other-release');
      const { sb, fhir } = rig;
      const send = (method: string, url: string, body?: unknown, type?: string) =>
        unfollowed(rig.mediator.url, OPENMRS_RIG_AUTH, method, url, body, type);

      const order = await fhir('POST', '/fhir/SupplyRequest', {
        resourceType: 'SupplyRequest',
        status: 'active',
        priority: 'routine',
        identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-31' }],
        itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] },
        quantity: units(70),
        authoredOn: '2026-12-01T08:00:00Z',
        deliverTo: { reference: `Location/${LOC.kilima}` },
        deliverFrom: { reference: `Location/${LOC.mwangaza}` },
      });
      t.equal(order.status, 201, why(order));
      const requisition = [...sb.stock.operations.values()].find(
        (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith('|APP-31'),
      );
      sb.stock.fulfil(requisition!.uuid);
      const onR4 = await fhir('POST', '/fhir/SupplyDelivery', {
        resourceType: 'SupplyDelivery',
        status: 'completed',
        identifier: [{ system: DELIVERIES, value: 'DL-31' }],
        basedOn: [{ reference: `SupplyRequest/${order.body.id}` }],
        destination: { reference: `Location/${LOC.kilima}` },
        suppliedItem: { quantity: units(70), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
      });
      t.equal(onR4.status, 201, why(onR4));
      const r4Id: string = onR4.body.id;
      const read = await send('GET', `/fhir/R5/SupplyDelivery/${r4Id}`);
      t.equal(read.status, 301, `the read redirects: ${why(read)}`);
      const r5Id = read.location!.split('/').at(-1)!;
      t.not(r5Id, r4Id);
      const r5 = await fhir('GET', `/fhir/R5/SupplyDelivery/${r5Id}`);
      t.equal(r5.status, 200, why(r5));

      const writes = { ...sb.store.writes };
      const { meta: _meta, ...content } = r5.body as Resource;
      const changed: Resource = { ...structuredClone(content), id: r4Id };
      changed.suppliedItem[0].quantity = units(60);
      const put = await send('PUT', `/fhir/R5/SupplyDelivery/${r4Id}`, changed);
      t.equal(put.status, 409, `PUT by the R4 id: ${why(put)}`);
      t.equal(put.location, null, 'no redirect to follow');
      t.match(put.body?.issue?.[0], { code: 'conflict', expression: ['SupplyDelivery.id'] });
      t.match(
        put.body?.issue?.[0]?.diagnostics,
        new RegExp(`change it as ${r5Id}`),
        'the outcome names the id R5 serves',
      );
      const patch = await send(
        'PATCH',
        `/fhir/R5/SupplyDelivery/${r4Id}`,
        [{ op: 'replace', path: '/suppliedItem/0/quantity/value', value: 60 }],
        'application/json-patch+json',
      );
      t.equal(patch.status, 409, `PATCH by the R4 id: ${why(patch)}`);
      t.equal(patch.location, null);
      t.match(patch.body?.issue?.[0]?.diagnostics, new RegExp(`change it as ${r5Id}`));
      // a transaction entry likewise: 409 naming the id to use, nothing of it written
      const entry = await fhir('POST', '/fhir/R5', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: changed, request: { method: 'PUT', url: `SupplyDelivery/${r4Id}` } }],
      });
      t.equal(entry.status, 409, `a transaction entry by the R4 id: ${why(entry)}`);
      t.match(entry.body.issue?.[0]?.diagnostics, new RegExp(`change it as ${r5Id}`));
      t.same(entry.body.issue?.[0]?.expression, ['Bundle.entry[0].resource.id']);
      const del = await send('DELETE', `/fhir/R5/SupplyDelivery/${r4Id}`);
      t.equal(del.status, 405, `DELETE is not served: ${why(del)}`);
      t.same(sb.store.writes, writes, 'nothing reaches OpenMRS');
      const after = await fhir('GET', `/fhir/R5/SupplyDelivery/${r5Id}`);
      t.equal(after.body.suppliedItem[0].quantity.value, 70, 'the delivery is as confirmed');
      t.equal(
        (await fhir('GET', `/fhir/R5/SupplyDelivery?identifier=${encodeURIComponent(`${DELIVERIES}|DL-31`)}`)).body
          .total ?? 1,
        1,
      );
    },
  );

  t.test(
    `OpenLMIS: a shipped delivery confirmed on R4 by its R5 id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const send = (method: string, url: string, body?: unknown) =>
        unfollowed(rig.mediator.url, RIG_AUTH, method, url, body);
      const { podId } = await shippedDelivery(rig, 'LK-HC-105', 'OTHER-ID-POD', [{ productCode: 'EM-ORS', qty: 100 }]);

      // R5 serves the proof of delivery under its id; R4 its one line under a line id
      const read = await send('GET', `/fhir/SupplyDelivery/${podId}`);
      t.equal(read.status, 301, `the R4 read by the R5 id redirects: ${why(read)}`);
      const r4 = await rig.fhir('GET', new URL(read.location!).pathname);
      t.equal(r4.status, 200, why(r4));
      t.equal(r4.body.status, 'in-progress');

      const before = rig.lmis.sb.state.requestCount();
      const { meta: _meta, ...content } = r4.body as Resource;
      const confirmation: Resource = {
        ...structuredClone(content),
        id: podId,
        status: 'completed',
        suppliedItem: {
          ...content.suppliedItem,
          quantity: {
            ...content.suppliedItem.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity,
          },
        },
      };
      const put = await send('PUT', `/fhir/SupplyDelivery/${podId}`, confirmation);
      t.equal(put.status, 409, `PUT by the R5 id: ${why(put)}`);
      t.equal(put.location, null, 'no redirect to follow');
      const r4Id = new URL(read.location!).pathname.split('/').at(-1)!;
      t.match(put.body?.issue?.[0]?.diagnostics, new RegExp(`change it as ${r4Id}`), 'naming the id R4 serves');
      t.same(writesSince(rig, before), [], 'nothing reaches OpenLMIS');
      const admin = await rig.lmis.login();
      const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
      t.not(pod.status, 'CONFIRMED', 'the proof of delivery is not confirmed through the other id');
      const r5 = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
      t.equal(r5.body.status, 'in-progress');

      // sent again by the id named, as the resource R4 serves: confirmed there
      const followed = await rig.fhir('PUT', `/fhir/SupplyDelivery/${r4Id}`, { ...confirmation, id: r4Id });
      t.equal(followed.status, 200, `PUT by the R4 id: ${why(followed)}`);
      t.equal(followed.body.status, 'completed');
    },
  );
}
