/**
 * What the delivery tests post for an OpenLMIS proof of delivery, and how they wait for a draft
 * the outbox holds back: shared by the draft, race and overtaken tests.
 */
import { adminCall } from './march-stock-count.js';
import { until } from './net.js';

type Resource = Record<string, any>;

const SD = 'http://fhir-supply-mediator.org/fhir/StructureDefinition';

/**
 * The delivery as read (meta dropped, id and identifier kept), in `status`, received on 30 November
 * by Nurse Achieng: every pack accepted but `rejected` of the first line's (damaged on arrival).
 */
export function countedDelivery(read: Resource, status: string, rejected = 0): Resource {
  const delivery = structuredClone(read);
  delete delivery.meta;
  delivery.status = status;
  delivery.occurrenceDateTime = '2026-11-30T09:15:00Z';
  delivery.receiver = [{ display: 'Nurse Achieng' }];
  (delivery.suppliedItem as Resource[]).forEach((item, i) => {
    const shipped = item.extension.find((e: Resource) => e.url.endsWith('/quantity-shipped')).valueQuantity;
    const off = i === 0 ? rejected : 0;
    item.quantity = { ...shipped, value: shipped.value - off };
    item.extension = item.extension.filter((e: Resource) => !/quantity-rejected|rejection-reason/.test(e.url));
    if (off)
      item.extension.push(
        { url: `${SD}/quantity-rejected`, valueQuantity: { ...shipped, value: off } },
        { url: `${SD}/rejection-reason`, valueString: 'Damaged on arrival' },
      );
  });
  return delivery;
}

/** The same as an app posts it: under the app's identifier, without the id. */
export function appDelivery(
  read: Resource,
  identifier: { system: string; value: string },
  status: string,
  rejected = 0,
): Resource {
  const { id: _id, ...delivery } = countedDelivery(read, status, rejected);
  return { ...delivery, identifier: [identifier] };
}

/** Mediator settings under which a draft's failed first attempt waits until the operator's retry. */
export function waitingForRetry(adminToken: string): Record<string, string> {
  return { ADMIN_TOKEN: adminToken, OUTBOX_BACKOFF_BASE_MS: '600000', OUTBOX_BACKOFF_CAP_MS: '600000' };
}

/** The operator retries the waiting job now; the job as it ended. */
export async function retriedToItsEnd(mediatorUrl: string, adminToken: string, jobId: string): Promise<Resource> {
  const retried = await adminCall(mediatorUrl, adminToken, 'POST', `/outbox/jobs/${jobId}/retry?status=pending`);
  if (retried.status !== 200) throw new Error(`retry ${jobId}: ${JSON.stringify(retried.body)}`);
  return until(
    'the draft job ended',
    async () => {
      const got = (await adminCall(mediatorUrl, adminToken, 'GET', `/outbox/jobs/${jobId}`)).body.job;
      return ['done', 'rejected', 'dead'].includes(got?.status) ? got : undefined;
    },
    60_000,
  );
}
