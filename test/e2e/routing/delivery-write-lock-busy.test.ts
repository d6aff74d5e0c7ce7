/**
 * A delivery's write waiting for its own delivery's lock (routing/delivery-write-lock.ts) on a bad
 * day: the draft's tracker POST hangs in DHIS2, its attempt is abandoned, and the POST (a write is
 * never cut mid-flight) holds the lock until DHIS2 answers. The completion behind it waited for
 * the lock until its own attempt timed out: charged an attempt as if DHIS2 had not answered it
 * (the settle wait after it, and a dead letter at its last attempt), though it sent DHIS2 nothing;
 * with an attempt timeout above the lock's 60 s on PostgreSQL the lock's timeout was taken for a
 * bug of ours (an internal error: dead-lettered at once). Now the wait gives up while half the
 * attempt is left, and the write is queued again uncharged, naming the lock, until the draft's
 * POST ends; then it completes the consignment. Through the real mediator, its outbox and the
 * DHIS2 sandbox, both engines.
 */
import t from 'tap';
import { CONSIGNMENT } from '../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { why } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const ADMIN = 'rs-delivery-lock-busy-admin-T7v';

/** Consignment SHP-LOCK-1 of `packs` packs of condoms at `facility`, in `status`. */
function consignment(facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment: 'SHP-LOCK-1', location: facility, lines }), status };
}

for (const engine of engineCases()) {
  t.test(
    `DHIS2: a completion behind its draft's hung write is queued uncharged, then completes (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const env = {
        ...CONSIGNMENT_ENV,
        ADMIN_TOKEN: ADMIN,
        OUTBOX_DEADLINE_MS: '300',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
        OUTBOX_SETTLE_MS: '200',
        DHIS2_TIMEOUT_MS: '60000',
      };
      const rig = await startDhis2RigOn(t, engine, { deliveries: { default: 'dhis2' } }, env);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program)
          .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);
      const jobsOf = async () =>
        ((await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=dhis2')).body.jobs as Resource[]).filter(
          (j) => j.flow === 'delivery',
        );

      // the draft's tracker POST hangs in DHIS2 past its attempt's end, holding the delivery's lock
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const held = sb.faults.add({
        method: 'POST',
        path: '/api/tracker',
        times: 1,
        action: { type: 'held', released },
      });
      const draft = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress'));
      t.equal(draft.status, 202, `the draft answered at its deadline: ${why(draft)}`);
      await until(
        'the draft on its way',
        async () => sb.faults.list().find((f) => f.id === held.id)?.hits === 1 || undefined,
      );
      const [draftJob] = await jobsOf();

      const done = await rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.equal(done.status, 202, `the completion queued behind the draft's write: ${why(done)}`);
      const waiting = await until('the completion waited for the lock', async () => {
        const job = (await jobsOf()).find((j) => j.id !== draftJob.id);
        return job?.lastError ? job : undefined;
      });
      t.match(waiting.lastError, /delivery-write\|dhis2\|/, `its wait names the delivery's lock: ${waiting.lastError}`);
      t.equal(waiting.attempts, 0, 'a wait for our own write is not charged an attempt');
      t.not(waiting.status, 'dead', 'nor dead-lettered');
      release();

      const ended = await until('both writes ended', async () => {
        const jobs = await jobsOf();
        return jobs.length === 2 && jobs.every((j) => ['done', 'rejected', 'dead'].includes(j.status))
          ? jobs
          : undefined;
      });
      const completion = ended.find((j) => j.id !== draftJob.id)!;
      t.equal(completion.status, 'done', `the completion delivered: ${completion.lastError ?? ''}`);
      // in units: a pack holds 144 condoms (the draft's 7 packs would read 1008)
      t.same(events(), [['COMPLETED', String(9 * 144)]], "the consignment received, with the completion's count");
    },
  );
}
