/**
 * A facility written under a Location the mediator wrote (named by the id its create answered)
 * waits for that parent's write while it is queued (routing/linked-parent.ts). Two ways that wait
 * went wrong, through the DHIS2 sandbox, on both store engines:
 * - the parent's write given up (DHIS2 down past outbox.maxAttempts): the facility was sent with
 *   the mediator's id as its parent and refused for good (422), so once an operator retried the
 *   district every facility under it had to be sent again. It now waits for the parent (202) and
 *   lands under it once the district is retried.
 * - the parent's write waiting out its backoff (DHIS2 asked for 5 s with Retry-After): the facility
 *   looked again every 2 s, an attempt recorded each time, for as long as the parent waited. It now
 *   looks again just after the parent's next attempt.
 * - the parent's write under way (a district and its facilities in one transaction, DHIS2 slow to
 *   create the district): each facility waited for it holding one of DHIS2's 4 delivery slots, so
 *   a write to DHIS2 that has nothing to do with them waited for the district too. The facilities
 *   now wait on the outbox's notice of the district's end, without a slot, and are still written
 *   in the same answer.
 */
import t from 'tap';
import {
  aRegion,
  districtAfterFailures,
  districtGivenUp,
  orgUnitNamed,
  createdId,
  mfrLocation,
  facilityJobOf,
  startDhis2RigOn,
} from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';

for (const engine of engineCases()) {
  t.test(
    `a facility under a district whose write was given up waits for it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } }, { OUTBOX_MAX_ATTEMPTS: '2' });
      const { outage, district, job: districtJob } = await districtGivenUp(t, rig, 'MFR-D7', 'Luwingu District');
      rig.dhis2.faults.remove(outage.id);

      const child = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-F7', 'Luwingu Rural Health Post', `Location/${createdId(district)}`),
      );
      t.equal(child.status, 202, `queued behind its parent, not refused: ${JSON.stringify(child.body).slice(0, 300)}`);
      t.match(child.body.issue[0].diagnostics, `outbox job ${districtJob.id}`, 'names the given-up job to retry');
      t.notOk(orgUnitNamed(rig, 'Luwingu Rural Health Post'), 'not sent to DHIS2 under a parent it does not hold');
      const waiting = await facilityJobOf(rig, 'Luwingu Rural Health Post');
      t.equal(waiting.status, 'pending');
      t.equal(waiting.attempts, 0, 'the wait is not charged: it is never given up for it');

      t.ok(
        (await retryOutboxJob(rig.mediator.store, districtJob.id, 'operator')).ok,
        'the operator retries the district',
      );
      await until(
        'the district is delivered',
        async () => (await facilityJobOf(rig, 'Luwingu District')).status === 'done',
      );
      // the facility looks again within GIVEN_UP_PARENT_WAIT_MS; an operator may bring that forward
      t.ok((await retryOutboxJob(rig.mediator.store, waiting.id, 'operator')).ok);
      await until(
        'the facility is delivered',
        async () => (await facilityJobOf(rig, 'Luwingu Rural Health Post')).status === 'done',
      );
      t.equal(
        orgUnitNamed(rig, 'Luwingu Rural Health Post').parentId,
        orgUnitNamed(rig, 'Luwingu District').id,
        'under the district',
      );
    },
  );

  t.test(
    `a facility under a district waiting out its backoff looks again after it (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      // DHIS2 asks for 5 s
      const {
        outage: busy,
        district,
        job: parent,
      } = await districtAfterFailures(t, rig, 'MFR-D8', 'Kaputa District', [
        { action: { type: 'status', status: 503, headers: { 'retry-after': '5' } } },
      ]);
      t.ok(parent.nextAttemptAt >= Date.now() + 3_000, 'the district is next tried in about 5 s');

      const child = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-F8', 'Kaputa Health Post', `Location/${createdId(district)}`),
      );
      t.equal(child.status, 202);
      const waiting = await facilityJobOf(rig, 'Kaputa Health Post');
      t.ok(
        waiting.nextAttemptAt >= parent.nextAttemptAt,
        `the facility looks again after the district's next attempt (${waiting.nextAttemptAt - parent.nextAttemptAt} ms after)`,
      );
      t.equal(waiting.attempts, 0, 'uncharged');

      rig.dhis2.faults.remove(busy.id);
      await until(
        'the facility is delivered',
        async () => (await facilityJobOf(rig, 'Kaputa Health Post')).status === 'done',
        30_000,
      );
      t.equal(
        orgUnitNamed(rig, 'Kaputa Health Post').parentId,
        orgUnitNamed(rig, 'Kaputa District').id,
        'under the district',
      );
      const attempts = await rig.mediator.store.listJobAttempts(waiting.id);
      t.ok(attempts.length <= 3, `the facility was attempted ${attempts.length} times while it waited`);
    },
  );

  t.test(
    `facilities waiting for their district's create hold no delivery slot (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, { facilities: { default: 'dhis2' } });
      const region = await aRegion(rig);
      // the district's create is held until the other write is answered: its facilities wait for it
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      t.teardown(() => release());
      rig.dhis2.faults.add({
        method: 'POST',
        path: '/api/organisationUnits',
        times: 1,
        action: { type: 'held', released },
      });
      const district = 'urn:uuid:33333333-3333-4333-8333-333333333333';
      const entries = [
        { fullUrl: district, resource: mfrLocation('MFR-D9', 'Chiengi District', `Location/${region}`) },
        ...[1, 2, 3, 4, 5, 6].map((i) => ({ resource: mfrLocation(`MFR-F9${i}`, `Chiengi Post ${i}`, district) })),
      ].map((e) => ({ ...e, request: { method: 'POST', url: 'Location' } }));
      const bundle = rig.fhir('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: entries });
      await until('the facilities wait for the district', async () => {
        const jobs = await rig.mediator.store.listJobs({ flow: 'facility' });
        return jobs.length === 7;
      });
      await new Promise((r) => setTimeout(r, 300));

      // answered while the district (and so its six facilities) is held: had they kept their
      // delivery slots, this write would wait for one past its deadline and be answered 202
      const other = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-X9', 'Kashikishi Clinic', `Location/${region}`),
      );
      t.equal(other.status, 201, "another facility is written while the district's create is held");

      release();
      const answer = await bundle;
      t.same(
        answer.body.entry.map((e: any) => e.response.status),
        Array(7).fill('201 Created'),
        'the facilities are still written in the same answer, under the district',
      );
      const made = orgUnitNamed(rig, 'Chiengi District');
      for (let i = 1; i <= 6; i++) t.equal(orgUnitNamed(rig, `Chiengi Post ${i}`).parentId, made.id);
    },
  );
}
