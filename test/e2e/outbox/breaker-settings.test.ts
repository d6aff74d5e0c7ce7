/**
 * outbox.breakerFailures and outbox.breakerOpenMs tune each system's circuit breaker. Through the
 * real mediator, the DHIS2 connector and its sandbox, on both store engines: DHIS2 refuses every
 * new org unit (503) and a district is posted. With breakerFailures=2 the breaker opens after its
 * second failed attempt (the default, 5, would still let it be retried), later writes wait
 * uncharged, and the breaker holds them back for breakerOpenMs before it lets one through as a
 * probe. Before these settings the breaker always took 5 failures and 30 s.
 */
import t, { type Test } from 'tap';
import { aRegion, facilityJobOf, mfrLocation, startDhis2RigOn, type Dhis2Rig } from '../../support/dhis2-e2e.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import type { JobAttempt } from '../../../src/store/types.js';

const gateOf = (rig: Dhis2Rig, at?: number) => rig.mediator.outbox.breakerGates(at).dhis2;

/** A rig whose breaker takes `failures` in a row and stays open `openMs`; DHIS2 refuses new org units. */
async function dhis2Down(t: Test, engine: EngineCase, failures: number, openMs: number) {
  const rig = await startDhis2RigOn(
    t,
    engine,
    { facilities: { default: 'dhis2' } },
    { OUTBOX_BREAKER_FAILURES: String(failures), OUTBOX_BREAKER_OPEN_MS: String(openMs) },
  );
  const region = await aRegion(rig);
  const outage = rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/organisationUnits',
    action: { type: 'status', status: 503 },
  });
  const creates = () => rig.dhis2.faults.list().find((f) => f.id === outage.id)!.hits;
  return { rig, region, outage, creates };
}

/** The district's attempts, oldest first. */
async function attemptsOf(rig: Dhis2Rig, name: string): Promise<JobAttempt[]> {
  const job = await facilityJobOf(rig, name);
  return (await rig.mediator.store.listJobAttempts(job.id)).sort((a, b) => a.startedAt - b.startedAt);
}

for (const engine of engineCases()) {
  t.test(
    `breakerFailures=2 opens DHIS2's breaker after two failures; writes wait breakerOpenMs uncharged (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, region, creates } = await dhis2Down(t, engine, 2, 60_000);
      const district = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-B1', 'Chinsali District', `Location/${region}`),
      );
      t.equal(district.status, 202, 'DHIS2 down: the district is queued');
      await until("DHIS2's breaker opens", async () => gateOf(rig) === 'open' || undefined);
      const held = await until('the second attempt is recorded', async () => {
        const job = await facilityJobOf(rig, 'Chinsali District');
        return job.attempts >= 2 ? job : undefined;
      });
      t.equal(held.attempts, 2, 'opened after two failed attempts (the default would have retried to five)');
      t.not(held.status, 'dead', 'the district waits, with attempts to spare');
      t.equal(creates(), 2, 'DHIS2 was asked twice');

      const clinic = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-B2', 'Chinsali Clinic', `Location/${region}`),
      );
      t.equal(clinic.status, 202, 'a write while it is open is queued');
      const queued = await facilityJobOf(rig, 'Chinsali Clinic');
      t.equal(queued.attempts, 0, 'uncharged');
      t.equal(creates(), 2, 'and not sent to DHIS2');

      // when the breaker lets a probe through: breakerOpenMs after it opened, not the default 30 s
      const now = Date.now();
      t.equal(gateOf(rig, now + 45_000), 'open', 'still open 45 s on (the default 30 s would probe by then)');
      t.equal(gateOf(rig, now + 60_000), 'probe', 'a probe is let through once 60 s have passed');
      t.equal(gateOf(rig, queued.nextAttemptAt - 1), 'open', 'the queued write is due no sooner than the probe');
      t.equal(gateOf(rig, queued.nextAttemptAt), 'probe', '…and exactly when it is let through');
      const second = (await attemptsOf(rig, 'Chinsali District'))[1];
      t.ok(queued.nextAttemptAt >= second.startedAt + 60_000, 'breakerOpenMs after the failure that opened it');
    },
  );

  t.test(
    `once breakerOpenMs is over the worker lets a probe through, which closes the breaker (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { rig, region, outage } = await dhis2Down(t, engine, 2, 1_000);
      const district = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-B3', 'Isoka District', `Location/${region}`),
      );
      t.equal(district.status, 202, 'DHIS2 down: the district is queued');
      await until("DHIS2's breaker opens", async () => gateOf(rig) === 'open' || undefined);
      rig.dhis2.faults.remove(outage.id);

      const done = await until('the probe delivers the district', async () => {
        const job = await facilityJobOf(rig, 'Isoka District');
        return job.status === 'done' ? job : undefined;
      });
      t.equal(gateOf(rig), 'closed', "the probe's success closed the breaker");
      const attempts = await attemptsOf(rig, 'Isoka District');
      t.equal(done.attempts, 3, 'delivered by the probe, the attempt after the two failures');
      t.ok(attempts[2].startedAt - attempts[1].startedAt >= 1_000, 'let through breakerOpenMs after it opened');
    },
  );
}
