/**
 * A delivery's draft and its completion delivered at the same moment (routing/delivery-write-lock.ts):
 * the app's draft waits queued (DHIS2 down), the operator's retry sends it, and while it is on its
 * way the app posts the delivery completed. The draft's consignment events were planned from what
 * DHIS2 held before the completion; posted after it, they made the received consignment ACTIVE
 * again with the draft's count. Each write of one delivery now holds the delivery's lock from its
 * read to its end, so the completion reads what the draft wrote and completes it: the events end
 * COMPLETED with the completion's count. Through the real mediator, its outbox and the DHIS2
 * sandbox, both engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { waitingForRetry } from '../../support/counted-delivery.js';
import { why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const ADMIN = 'sd-draft-completion-race-admin-Q4k';

/** Consignment SHP-RACE-1 of `packs` packs of condoms at `facility`, in `status`. */
function consignment(facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment: 'SHP-RACE-1', location: facility, lines }), status };
}

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a draft on its way when the completion comes does not reopen the consignment (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      // a completion not delivered within 1 s is answered 202 and delivered on (here: after the draft)
      const env = { ...CONSIGNMENT_ENV, ...waitingForRetry(ADMIN), OUTBOX_DEADLINE_MS: '1000' };
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, env);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program)
          .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);
      const jobOf = async (id: string) =>
        (await adminCall(rig.mediator.url, ADMIN, 'GET', `/outbox/jobs/${id}`)).body.job as Resource;

      const down = sb.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'status', status: 503 } });
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress'));
      t.equal(draft.status, 202, `the draft queued, DHIS2 down: ${why(draft)}`);
      const jobs = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=dhis2');
      const [draftJob] = jobs.body.jobs.filter((j: Resource) => j.flow === 'delivery');
      sb.faults.remove(down.id);

      // the draft's post, planned from the events as they were, held on its way until released
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const held = sb.faults.add({
        method: 'POST',
        path: '/api/tracker',
        times: 1,
        action: { type: 'held', released },
      });
      const retried = await adminCall(
        rig.mediator.url,
        ADMIN,
        'POST',
        `/outbox/jobs/${draftJob.id}/retry?status=pending`,
      );
      t.equal(retried.status, 200, 'the operator retries the draft');
      await until(
        'the draft on its way',
        async () => sb.faults.list().find((f) => f.id === held.id)?.hits === 1 || undefined,
      );

      // the completion: on the old code it read and completed the events meanwhile (201)
      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.ok([201, 202].includes(done.status), `the completion accepted: ${why(done)}`);
      release();

      const ended = await until('the draft ended', async () => {
        const job = await jobOf(draftJob.id);
        return ['done', 'rejected', 'dead'].includes(job?.status) ? job : undefined;
      });
      t.equal(ended.status, 'done', `the draft delivered: ${ended.lastError ?? ''}`);
      const all = await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=dhis2');
      const completion = all.body.jobs.find((j: Resource) => j.flow === 'delivery' && j.id !== draftJob.id);
      const completed = await until('the completion ended', async () => {
        const job = await jobOf(completion.id);
        return ['done', 'rejected', 'dead'].includes(job?.status) ? job : undefined;
      });
      t.equal(completed.status, 'done', `the completion delivered: ${completed.lastError ?? ''}`);
      // in units: a pack holds 144 condoms (the draft's 7 packs would read 1008)
      t.same(events(), [['COMPLETED', String(9 * 144)]], "the consignment received, with the completion's count");
    },
  );
}
