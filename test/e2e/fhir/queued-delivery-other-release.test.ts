/**
 * A delivery confirmed on R4 while OpenMRS is down (202, its write queued) read and resent on R5:
 * R5 serves it under the id it has once delivered, the id an R5 POST of it gets (from its delivery
 * number). The R4 write carried no such id: its queued view read on R5 with none (a searchset
 * fullUrl ending `SupplyDelivery/undefined`), a client could not name it, and a resend by the R5
 * id differed from the queued write by the id (and by its line's id, which R5 does not carry), a
 * 409 "different payload". Now the read names it, the read by its R4 line id redirects there, a
 * PUT by it is the queued write (202), and once delivered it reads under the same id. Through the
 * real mediator, the OpenMRS connector and its sandbox, both store engines.
 */
import t, { type Test } from 'tap';
import { LOC } from '../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE } from '../../../src/fhir/conventions.js';
import { AMOXICILLIN, DELIVERIES, ORDERS, order, units } from '../../support/openmrs-app-orders.js';
import { adminCall } from '../../support/march-stock-count.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';
import { GTIN, OPENMRS_RIG_AUTH, startOpenMrsRigOn, why, type OpenMrsRig } from '../../support/openmrs-e2e.js';

type Resource = Record<string, any>;
const ADMIN = 'fb-openmrs-admin-token-Zr4';
const SM = '/openmrs/ws/rest/v1/stockmanagement';
const NUMBER = 'DL-41';

/** The app's R4 confirmation (one line) of its order received in full. */
const confirmation = {
  resourceType: 'SupplyDelivery',
  status: 'completed',
  identifier: [{ system: DELIVERIES, value: NUMBER }],
  basedOn: [{ identifier: { type: { coding: [ORDER_NUMBER_TYPE] }, system: ORDERS, value: 'APP-41' } }],
  destination: { reference: `Location/${LOC.kilima}` },
  suppliedItem: { quantity: units(60), itemCodeableConcept: { coding: [{ system: GTIN, code: AMOXICILLIN }] } },
};

/** A GET that does not follow redirects: the 301 itself is the answer. */
async function unfollowed(rig: OpenMrsRig, url: string) {
  const res = await fetch(`${rig.mediator.url}${url}`, {
    redirect: 'manual',
    headers: { authorization: OPENMRS_RIG_AUTH, accept: 'application/fhir+json' },
  });
  await res.text();
  return { status: res.status, location: res.headers.get('location') };
}

/** The delivery jobs the outbox holds for OpenMRS. */
async function deliveryJobs(rig: OpenMrsRig): Promise<Resource[]> {
  const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=openmrs');
  return jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');
}

/** The R5 searchset entries under the app's delivery number. */
async function searchedOnR5(t: Test, rig: OpenMrsRig): Promise<Resource[]> {
  const query = encodeURIComponent(`${DELIVERIES}|${NUMBER}`);
  const found = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?identifier=${query}`);
  t.equal(found.status, 200, why(found));
  return found.body.entry ?? [];
}

for (const engine of engineCases())
  t.test(
    `a delivery queued on R4, read and resent on R5 by the id it is served under (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // the retry waits for the operator (a long backoff): the reads and resend come while it waits
      const rig = await startOpenMrsRigOn(t, engine, 'fb-queued-other-release', {
        ADMIN_TOKEN: ADMIN,
        OUTBOX_BACKOFF_BASE_MS: '600000',
        OUTBOX_BACKOFF_CAP_MS: '600000',
      });
      const { sb, fhir } = rig;
      const posted = await fhir('POST', '/fhir/SupplyRequest', order('APP-41', 60));
      t.equal(posted.status, 201, why(posted));
      const requisition = [...sb.stock.operations.values()].find(
        (o) => o.operationType === 'requisition' && String(o.externalReference).endsWith('|APP-41'),
      )!;
      const transfer = sb.stock.fulfil(requisition.uuid);
      const down = sb.faults.add({
        method: 'POST',
        path: `${SM}/stockoperationaction`,
        action: { type: 'status', status: 503 },
      });

      const onR4 = await fhir('POST', '/fhir/SupplyDelivery', confirmation);
      t.equal(onR4.status, 202, `queued, OpenMRS down: ${why(onR4)}`);
      const r4Id = /SupplyDelivery\/([^/]+)/.exec(onR4.headers.get('location') ?? '')![1];
      const [job] = await deliveryJobs(rig);
      t.equal(job?.status, 'pending', 'the write waits for a retry');

      const [entry, ...more] = await searchedOnR5(t, rig);
      t.same(more, [], 'one delivery under its number');
      const r5Id: string = entry?.resource?.id;
      t.type(r5Id, 'string', 'the R5 read names it');
      t.not(r5Id, r4Id, 'R5 serves the delivery, R4 its line');
      t.notMatch(entry.fullUrl, /\/undefined$/);
      t.match(entry.fullUrl, new RegExp(`/SupplyDelivery/${r5Id}$`));
      t.equal(entry.resource.status, 'in-progress', 'not yet applied in OpenMRS');
      const read = await fhir('GET', `/fhir/R5/SupplyDelivery/${r5Id}`);
      t.equal(read.status, 200, `read by that id: ${why(read)}`);
      const byLineId = await unfollowed(rig, `/fhir/R5/SupplyDelivery/${r4Id}`);
      t.equal(byLineId.status, 301, 'the read by its R4 line id redirects');
      t.match(byLineId.location, new RegExp(`/SupplyDelivery/${r5Id}$`));

      // an R5 client resends the confirmation by that id: the queued write, not another payload
      const { meta: _meta, ...content } = read.body as Resource;
      const resend = await fhir('PUT', `/fhir/R5/SupplyDelivery/${r5Id}`, { ...content, status: 'completed' });
      t.equal(resend.status, 202, `answered as the waiting write: ${why(resend)}`);
      t.same(
        (await deliveryJobs(rig)).map((j) => j.id),
        [job.id],
        'the resend recorded no other write',
      );

      sb.faults.remove(down.id);
      const retried = await adminCall(rig.mediator.url, ADMIN, 'POST', `/outbox/jobs/${job.id}/retry?status=pending`);
      t.equal(retried.status, 200, 'the operator retries it now');
      const ended = await until(
        'the retried write ended',
        async () => {
          const got = (await adminCall(rig.mediator.url, ADMIN, 'GET', `/outbox/jobs/${job.id}`)).body.job;
          return ['done', 'rejected', 'dead'].includes(got?.status) ? got : undefined;
        },
        20_000,
      );
      t.equal(ended.status, 'done', 'delivered');
      t.equal(sb.stock.operations.get(transfer.uuid)!.status, 'COMPLETED', 'OpenMRS completed the transfer');
      const delivered = await fhir('GET', `/fhir/R5/SupplyDelivery/${r5Id}`);
      t.equal(delivered.status, 200, `delivered, it reads under the same id: ${why(delivered)}`);
      t.equal(delivered.body.status, 'completed');
      const [listed] = await searchedOnR5(t, rig);
      t.equal(listed?.resource?.id, r5Id, 'a search lists it under that id too');
    },
  );
