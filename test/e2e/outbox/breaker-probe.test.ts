/**
 * The write let through an open circuit breaker (its half-open probe) decides it only if it called
 * the system. Through the real mediator, the DHIS2 connector and its sandbox, on both store
 * engines, with the mediator's own breaker (5 failures; held 10 s rather than the shipped 30 s,
 * waited out once, and the steps after the probe take well under it): DHIS2 refuses every new org
 * unit (503) until a district's write is given up, which opens DHIS2's breaker. Once it lets a probe
 * through, the first write is a facility under that district: it waits for its parent, sending
 * DHIS2 nothing. That closed the breaker although DHIS2 was still down, so the next writes all went
 * to DHIS2 at once, each charged an attempt. Now the facility's wait decides nothing, the breaker
 * still lets one probe through, and only that one write reaches DHIS2; the others are queued
 * uncharged behind it, and the probe's failure opens the breaker again, its write waiting uncharged
 * for the next probe as they do.
 */
import t from 'tap';
import {
  districtGivenUp,
  createdId,
  mfrLocation,
  facilityJobOf,
  startDhis2RigOn,
  type Dhis2Rig,
} from '../../support/dhis2-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const gateOf = (rig: Dhis2Rig) => rig.mediator.outbox.breakerGates().dhis2;

// each engine's case spends most of its time waiting out the breaker: both wait at once (own rig,
// own database)
t.jobs = 2;

for (const engine of engineCases()) {
  t.test(
    `a probe that sent DHIS2 nothing leaves its breaker to the next write (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(
        t,
        engine,
        { facilities: { default: 'dhis2' } },
        {
          OUTBOX_MAX_ATTEMPTS: '5',
          OUTBOX_BREAKER_OPEN_MS: '10000',
        },
      );
      const { region, outage, district } = await districtGivenUp(t, rig, 'MFR-D9', 'Mpika District');
      t.equal(gateOf(rig), 'open', "five failures opened DHIS2's breaker");
      await until('the breaker lets a probe through', async () => gateOf(rig) === 'probe' || undefined, 45_000);

      const districtId = createdId(district);
      const hits = () => rig.dhis2.faults.list().find((r) => r.id === outage.id)!.hits;
      const hitsBefore = hits();
      const child = await rig.fhir(
        'POST',
        '/fhir/Location',
        mfrLocation('MFR-F9', 'Mpika Health Post', `Location/${districtId}`),
      );
      t.equal(child.status, 202, 'the facility waits for its given-up parent');
      t.equal(hits(), hitsBefore, 'it sent DHIS2 nothing');
      t.equal(gateOf(rig), 'probe', 'so the breaker is not closed by it: it still lets one write through');

      const names = ['Mpika Clinic A', 'Mpika Clinic B', 'Mpika Clinic C'];
      const answers = await Promise.all(
        names.map((name, i) =>
          rig.fhir('POST', '/fhir/Location', mfrLocation(`MFR-C9${i}`, name, `Location/${region}`)),
        ),
      );
      t.same(
        answers.map((a) => a.status),
        [202, 202, 202],
        'DHIS2 still down: all three queued',
      );
      t.equal(hits() - hitsBefore, 1, 'only the probe reached DHIS2');
      const attempts = (await Promise.all(names.map((n) => facilityJobOf(rig, n)))).map((j) => j.attempts).sort();
      t.same(attempts, [0, 0, 0], 'none charged: the probe DHIS2 failed waits uncharged too');
      t.equal(gateOf(rig), 'open', "the probe's failure opened the breaker again");
      rig.dhis2.faults.remove(outage.id);
    },
  );
}
