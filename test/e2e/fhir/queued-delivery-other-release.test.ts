/**
 * A delivery confirmed on R4 while OpenLMIS is down (202, its write queued), read and resent on R5.
 * R4 serves a delivery as one SupplyDelivery per line and its write carries no delivery id (the
 * upstream's is kept once delivered), so its queued view read on R5 with none: a searchset entry
 * `SupplyDelivery/undefined`, and the read by its R4 id a 404 for `SupplyDelivery/undefined`. An
 * R5 resend of the same confirmation differed from the R4 write by the line ids R5 does not carry
 * (the mediator's derived ones, or the Android FHIR SDK's own UUIDs): a 409 "different payload".
 * Now the queued delivery reads on R5 under the id its write came under (its first line's; once
 * delivered that id redirects to the proof of delivery), a search by the proof of delivery's number
 * lists it once (as the proof of delivery, not again as the write); a resend on R5 is the waiting write
 * (202, one job, one confirmation reaching OpenLMIS), and another quantity (409) or item (422) is not.
 * The written payload is untouched. Through the real mediator, the OpenLMIS connector and its
 * sandbox, both store engines.
 */
import t, { type Test } from 'tap';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { deliveredOnRetry, deliveryJobs } from '../../support/queued-deliveries.js';
import {
  gtinOf,
  RIG_AUTH,
  shippedDelivery,
  startRigOn,
  why,
  writesSince,
  type Rig,
} from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;
const ADMIN = 'ga-queued-other-release-admin-Hq7';
const APP_DELIVERIES = 'https://mobile.example.org/deliveries';
/** An id the Android FHIR SDK gives a resource it creates (a random UUID), fixed here. */
const SDK_LINE_ID = '3f0c9a52-6d1e-4c8b-9a47-0e5b2d7c1f36';

/** The rig with OpenLMIS's confirmations failing (503), and retries left to the operator. */
async function rigWithPodsDown(t: Test, engine: EngineCase, order: string) {
  const rig = await startRigOn(t, engine, {
    ADMIN_TOKEN: ADMIN,
    OUTBOX_BACKOFF_BASE_MS: '600000',
    OUTBOX_BACKOFF_CAP_MS: '600000',
  });
  const { podId, read } = await shippedDelivery(rig, 'LK-HC-105', order, [{ productCode: 'EM-ORS', qty: 100 }]);
  const r4 = await rig.fhir('GET', `/fhir/SupplyDelivery/${podId}`);
  t.equal(r4.status, 200, `the R4 read of its one line: ${why(r4)}`);
  const down = rig.lmis.sb.faults.add({
    method: 'PUT',
    path: '/api/proofsOfDelivery/*',
    action: { type: 'status', status: 503 },
  });
  return { rig, podId, r5: read as Resource, r4: r4.body as Resource, down };
}

/** The R4 line as read, confirmed: completed, everything shipped accepted; no id (a POST). */
function confirmedLine(line: Resource): Resource {
  const { meta: _meta, id: _id, ...content } = structuredClone(line);
  const shipped = content.suppliedItem.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped'));
  return {
    ...content,
    status: 'completed',
    suppliedItem: { ...content.suppliedItem, quantity: shipped.valueQuantity },
  };
}

/** The R5 delivery as read, confirmed as the R4 line was. */
function confirmedWhole(read: Resource): Resource {
  const { meta: _meta, ...content } = structuredClone(read);
  for (const item of content.suppliedItem as Resource[])
    item.quantity = item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity;
  return { ...content, status: 'completed' };
}

/** The R5 searchset entries under a delivery number. */
async function onR5(t: Test, rig: Rig, identifier: { system: string; value: string }): Promise<Resource[]> {
  const query = encodeURIComponent(`${identifier.system}|${identifier.value}`);
  const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?identifier=${query}`);
  t.equal(found.status, 200, why(found));
  return found.body.entry ?? [];
}

/** A GET that does not follow redirects: the 301 itself is the answer. */
async function unfollowed(rig: Rig, url: string) {
  const res = await fetch(`${rig.mediator.url}${url}`, {
    redirect: 'manual',
    headers: { authorization: RIG_AUTH, accept: 'application/fhir+json' },
  });
  await res.text();
  return { status: res.status, location: res.headers.get('location') };
}

/** Another confirmation on R5 of the same delivery: refused as it was before it was queued. */
async function refusedOnR5(t: Test, rig: Rig, method: string, url: string, whole: Resource) {
  for (const [label, body, status, said] of otherConfirmations(whole)) {
    const res = await rig.fhir(method, url, method === 'POST' ? { ...body, id: undefined } : body);
    t.equal(res.status, status, `${label}: ${why(res)}`);
    t.match(why(res), said);
  }
}

/**
 * An R5 resend with one less accepted (one rejected, damaged): another payload for the number,
 * 409; or of another item: not in the proof of delivery, 422.
 */
function otherConfirmations(whole: Resource): [string, Resource, number, RegExp][] {
  const fewer = structuredClone(whole);
  const item = fewer.suppliedItem[0];
  item.quantity = { ...item.quantity, value: item.quantity.value - 1 };
  item.extension.push(
    {
      url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/quantity-rejected',
      valueQuantity: { ...item.quantity, value: 1 },
    },
    {
      url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/rejection-reason',
      valueString: 'Damaged on arrival',
    },
  );
  const other = structuredClone(whole);
  other.suppliedItem[0].itemCodeableConcept = {
    coding: [{ system: 'https://www.gs1.org/gtin', code: gtinOf('EM-AMX250') }],
  };
  return [
    ['another quantity', fewer, 409, /different (delivery )?payload/],
    ['another item', other, 422, /is not in proof of delivery/],
  ];
}

/**
 * The confirmation resent on R5 by PUT (`putAs`) and by POST: each the waiting write (202, the
 * POST answered under the id the queued write reads as), another one refused (by `refuseBy`), and
 * no job but the write's own.
 */
async function resentOnR5(
  t: Test,
  rig: Rig,
  whole: Resource,
  at: { putAs: string; queuedAs: string; refuseBy: 'PUT' | 'POST'; jobId: string },
) {
  const put = await rig.fhir('PUT', `/fhir/R5/SupplyDelivery/${at.putAs}`, whole);
  t.equal(put.status, 202, `an R5 PUT of it is the waiting write: ${why(put)}`);
  const { id: _id, ...created } = whole;
  const post = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', created);
  t.equal(post.status, 202, `an R5 POST of it is the waiting write: ${why(post)}`);
  t.match(post.headers.get('location'), new RegExp(`/SupplyDelivery/${at.queuedAs}/`), 'answered as the queued write');
  const url = at.refuseBy === 'PUT' ? `/fhir/R5/SupplyDelivery/${at.putAs}` : '/fhir/R5/SupplyDelivery';
  await refusedOnR5(t, rig, at.refuseBy, url, whole);
  t.same(
    (await deliveryJobs(rig, ADMIN)).map((j) => j.id),
    [at.jobId],
    'the resends recorded no other write',
  );
}

for (const engine of engineCases()) {
  t.test(
    `a proof of delivery confirmed on R4 while queued reads and resends on R5 under its id (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, podId, r4, down } = await rigWithPodsDown(t, engine, 'QUEUED-R4-POD');
      const before = rig.lmis.sb.state.requestCount();
      const posted = await rig.fhir('POST', '/fhir/SupplyDelivery', confirmedLine(r4));
      t.equal(posted.status, 202, `queued, OpenLMIS down: ${why(posted)}`);
      const r4Id = /SupplyDelivery\/([^/]+)/.exec(posted.headers.get('location') ?? '')![1];
      const [job, ...others] = await deliveryJobs(rig, ADMIN);
      t.equal(job?.status, 'pending', 'the write waits for a retry');
      t.same(others, []);

      const [entry, ...more] = await onR5(t, rig, r4.identifier[0]);
      t.same(
        more.map((e) => e.fullUrl),
        [],
        'one delivery under its number',
      );
      t.equal(entry?.resource?.id, podId, 'listed once: as the proof of delivery it confirms');
      t.match(entry?.fullUrl, new RegExp(`/SupplyDelivery/${podId}$`));
      const queued = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${r4Id}`);
      t.equal(queued.status, 200, `the R5 read by the id its write came under: ${why(queued)}`);
      t.equal(queued.body.id, r4Id, 'the queued confirmation, named');
      t.equal(queued.body.status, 'in-progress', 'not yet applied in OpenLMIS');
      const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
      t.equal(read.status, 200, why(read));

      // an R5 client resends the confirmation, by PUT (by the id it read) and by POST
      const whole = confirmedWhole(read.body);
      await resentOnR5(t, rig, whole, { putAs: podId, queuedAs: r4Id, refuseBy: 'PUT', jobId: job.id });

      await deliveredOnRetry(t, rig, ADMIN, job.id, down);
      t.same(
        writesSince(rig, before).filter((w) => w.startsWith('PUT /api/proofsOfDelivery/')),
        [`PUT /api/proofsOfDelivery/${podId}`, `PUT /api/proofsOfDelivery/${podId}`],
        'the one confirmation: its failed try and its retry',
      );
      const byLineId = await unfollowed(rig, `/fhir/R5/SupplyDelivery/${r4Id}`);
      t.equal(byLineId.status, 301, 'delivered, the R5 read by its R4 line id redirects to the proof of delivery');
      t.match(byLineId.location, new RegExp(`/SupplyDelivery/${podId}$`));
      const delivered = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
      t.equal(delivered.body.status, 'completed', 'delivered, it reads completed under the same id');
      t.equal(delivered.body.suppliedItem[0].quantity?.value, whole.suppliedItem[0].quantity.value);
    },
  );

  for (const [how, lineId] of [
    ['POSTed', undefined],
    ['PUT under the SDK id', SDK_LINE_ID],
  ] as const)
    t.test(
      `a delivery ${how} on R4 under the app's number while queued reads and resends on R5 (${engine.name})`,
      { skip: engine.skip },
      async (t) => {
        const { rig, r4, down } = await rigWithPodsDown(t, engine, `QUEUED-R4-APP-${lineId ? 'PUT' : 'POST'}`);
        const number = { system: APP_DELIVERIES, value: `DL-${lineId ? 'PUT' : 'POST'}` };
        const line = { ...confirmedLine(r4), identifier: [number], ...(lineId ? { id: lineId } : {}) };
        const written = lineId
          ? await rig.fhir('PUT', `/fhir/SupplyDelivery/${lineId}`, line)
          : await rig.fhir('POST', '/fhir/SupplyDelivery', line);
        t.equal(written.status, 202, `queued, OpenLMIS down: ${why(written)}`);
        const r4Id = /SupplyDelivery\/([^/]+)/.exec(written.headers.get('location') ?? '')![1];
        if (lineId) t.equal(r4Id, lineId, 'under the id the SDK chose');
        const [job] = await deliveryJobs(rig, ADMIN);

        const [entry, ...more] = await onR5(t, rig, number);
        t.same(more, [], 'one delivery under its number');
        t.equal(entry?.resource?.id, r4Id, 'R5 names it by the id its write came under');
        t.notMatch(entry?.fullUrl, /\/undefined$/);
        const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${r4Id}`);
        t.equal(read.status, 200, `read on R5 by that id: ${why(read)}`);
        t.equal(read.body.id, r4Id);
        t.equal(read.body.status, 'in-progress', 'not yet applied in OpenLMIS');

        const whole = confirmedWhole(read.body);
        await resentOnR5(t, rig, whole, { putAs: r4Id, queuedAs: r4Id, refuseBy: 'POST', jobId: job.id });
        await deliveredOnRetry(t, rig, ADMIN, job.id, down);
      },
    );
}
