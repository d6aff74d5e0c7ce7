/**
 * A write accepted while its system's delivery slots are all busy waits for a slot within
 * outbox.deadlineMs, but its lease runs from the moment it was recorded. The attempt must still
 * end inside the lease (leaving the margin of leaseMs − attemptTimeoutMs), or the worker (this
 * instance's or another's) takes the job over while the first attempt is still posting, and a
 * non-idempotent write lands twice. Through the real OpenLMIS connector and its sandbox: five
 * stock adjustments at once, each POST /api/stockEvents slow; one stock event per adjustment, never two.
 */
import t from 'tap';
import { damagedStock, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';

const SLOW_POST_MS = 2_400;

for (const engine of engineCases()) {
  t.test(
    `a write that waited for a slot ends its attempt inside its lease (${engine.name})`,
    { skip: engine.skip, timeout: 60_000 },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        OUTBOX_LEASE_MS: '3000',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '2800',
        OUTBOX_DEADLINE_MS: '2700',
        OUTBOX_SETTLE_MS: '4000',
        OPENLMIS_TIMEOUT_MS: '6000',
      });
      const { lmis } = rig;
      const facilityId = lmis.seed.facilities['LK-HC-101'];
      const eventsBefore = lmis.sb.state.counts().stockEvents;
      const events = () => lmis.sb.state.counts().stockEvents - eventsBefore;
      // the outbox delivers 4 writes to a system at once: the fifth waits for a slot
      for (const path of ['/api/stockEvents', '/api/public/stockEvents'])
        lmis.sb.faults.add({ method: 'POST', path, action: { type: 'delay', ms: SLOW_POST_MS }, times: 5 });
      const answers = await Promise.all(
        [1, 2, 3, 4, 5].map((i) =>
          rig.fhir('POST', '/fhir/R5/InventoryReport', damagedStock(facilityId, `LEASE-${i}`, i)),
        ),
      );
      for (const a of answers) t.ok(a.status === 201 || a.status === 202, `accepted: ${a.status} ${why(a)}`);
      await until('every adjustment delivered', async () => events() >= 5 || undefined, 30_000);
      // a late second POST would land within SLOW_POST_MS of the last one
      await new Promise((r) => setTimeout(r, SLOW_POST_MS + 500));
      t.equal(events(), 5, 'one stock event per adjustment, none twice');
    },
  );
}
