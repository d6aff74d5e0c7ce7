/**
 * A delivery confirmed by POST while OpenLMIS is down (202, its write queued), then sent again by
 * PUT under the delivery's own id (the proof of delivery's, as a read or search gave it: an app
 * that lost the POST's answer and syncs the resource it holds). The PUT is the same confirmation,
 * so it is the waiting write: no second job, one confirmation reaching OpenLMIS once it is back.
 * It was answered as the POST's write, under the id the POST's number derives: Location and id
 * named a resource the client never asked for, in reply to a PUT of the id it chose. Now a PUT is
 * answered under the id it named, alone or as a transaction's entry. Through the real mediator, the OpenLMIS connector and its
 * sandbox, both store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { deliveredOnRetry, deliveryJobs } from '../../support/queued-deliveries.js';
import { shippedDelivery, startRigOn, why, writesSince } from '../../support/openlmis-e2e.js';

type Resource = Record<string, any>;
const ADMIN = 'gc-queued-put-after-post-admin-Zr4';

/** The delivery as read, confirmed as a client does: completed, everything shipped accepted. */
function confirmed(read: Resource): Resource {
  const { meta: _meta, ...content } = structuredClone(read);
  const items: Resource[] = Array.isArray(content.suppliedItem) ? content.suppliedItem : [content.suppliedItem];
  for (const item of items)
    item.quantity = { ...item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity };
  return { ...content, status: 'completed', occurrenceDateTime: '2026-11-30T09:15:00Z' };
}

/** The id a write's answer names in its Location. */
function answeredId(res: { headers: Headers }): string | undefined {
  return /\/SupplyDelivery\/([^/]+)/.exec(res.headers.get('location') ?? '')?.[1];
}

for (const engine of engineCases())
  for (const base of ['/fhir/R5', '/fhir'] as const)
    t.test(
      `${base}: a PUT by the delivery's id while its POST is queued is answered under that id (${engine.name})`,
      { skip: engine.skip },
      async (t) => {
        const rig = await startRigOn(t, engine, {
          ADMIN_TOKEN: ADMIN,
          OUTBOX_BACKOFF_BASE_MS: '600000',
          OUTBOX_BACKOFF_CAP_MS: '600000',
        });
        const { podId } = await shippedDelivery(rig, 'LK-HC-105', `PUT-AFTER-POST-${base.length}`, [
          { productCode: 'EM-ORS', qty: 100 },
        ]);
        // R4 serves the proof of delivery's one line under a line id: the read by its R5 id redirects there
        const read = await rig.fhir('GET', `${base}/SupplyDelivery/${podId}`);
        t.equal(read.status, 200, why(read));
        const id: string = read.body.id;
        const down = rig.lmis.sb.faults.add({
          method: 'PUT',
          path: '/api/proofsOfDelivery/*',
          action: { type: 'status', status: 503 },
        });
        const before = rig.lmis.sb.state.requestCount();
        const confirmation = confirmed(read.body);
        const { id: _id, ...created } = confirmation;
        const post = await rig.fhir('POST', `${base}/SupplyDelivery`, created);
        t.equal(post.status, 202, `queued, OpenLMIS down: ${why(post)}`);
        const [job, ...others] = await deliveryJobs(rig, ADMIN);
        t.equal(job?.status, 'pending', 'the write waits');
        t.same(others, []);

        const put = await rig.fhir('PUT', `${base}/SupplyDelivery/${id}`, confirmation);
        t.equal(put.status, 202, `the same confirmation by PUT is the waiting write: ${why(put)}`);
        t.equal(answeredId(put), id, `answered under the id the PUT named (the POST's: ${answeredId(post)})`);
        if (put.body?.resourceType === 'SupplyDelivery') t.equal(put.body.id, id, "the body's id too");
        t.match(put.headers.get('location'), new RegExp(`${base}/SupplyDelivery/${id}(/|$)`));
        if (answeredId(post) !== id) {
          // answered with what it sent: no version of that was ever served (a vread of one was a 410)
          t.notMatch(put.headers.get('location'), /_history/, 'its Location names no version');
          t.match(
            JSON.stringify(put.body),
            `read SupplyDelivery/${answeredId(post)} for its state`,
            'its state read under the waiting write',
          );
        }
        // the same as a transaction's PUT entry
        const bundle = await rig.fhir('POST', base, {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [{ resource: confirmation, request: { method: 'PUT', url: `SupplyDelivery/${id}` } }],
        });
        t.equal(bundle.status, 200, `a transaction PUTting it: ${why(bundle)}`);
        const [entry] = bundle.body.entry ?? [];
        t.match(entry?.response?.status, /^202/, `the entry: ${JSON.stringify(entry?.response)}`);
        t.match(entry?.response?.location, new RegExp(`SupplyDelivery/${id}(/|$)`), 'the entry under the id it named');
        t.same(
          (await deliveryJobs(rig, ADMIN)).map((j) => j.id),
          [job.id],
          'the PUTs recorded no other write',
        );

        await deliveredOnRetry(t, rig, ADMIN, job.id, down);
        t.same(
          writesSince(rig, before).filter((w) => w.startsWith('PUT /api/proofsOfDelivery/')),
          [`PUT /api/proofsOfDelivery/${podId}`, `PUT /api/proofsOfDelivery/${podId}`],
          'one confirmation reaches OpenLMIS: its failed try and its retry',
        );
        const admin = await rig.lmis.login();
        const pod = (await rig.lmis.call('GET', `/api/proofsOfDelivery/${podId}`, admin)).body;
        t.match(pod, { status: 'CONFIRMED', receivedDate: '2026-11-30' }, 'the proof of delivery is confirmed');
        const after = await rig.fhir('GET', `${base}/SupplyDelivery/${id}`);
        t.equal(after.status, 200, `the id the PUT named reads: ${why(after)}`);
        t.equal(after.body.status, 'completed');
      },
    );
