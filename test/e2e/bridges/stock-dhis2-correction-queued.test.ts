/**
 * A late correction in the LMIS while the bridge's earlier write of that org unit and period still
 * waits in the outbox (DHIS2 refused it for a while, it is in backoff). The next run compares with
 * what DHIS2 holds, which lacks the waiting values, and writes the corrected ones under a new key.
 * The older write must never land after it: the values DHIS2 ends with are the LMIS's latest.
 * And a refused older write is not put back by an operator's retry over the newer one.
 * Real OpenLMIS and DHIS2 sandboxes, the outbox and the store, on both engines.
 */
import t, { type Test } from 'tap';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { dhis2Value, startJanuaryStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

/**
 * The first run's write refused by DHIS2 (`status` to every import: 503 leaves it waiting, 400
 * refuses it); then DHIS2 takes writes again and the LMIS corrects January. The job's id.
 */
async function firstRunRefused(t: Test, rig: StockRig, status: number): Promise<string> {
  const down = rig.dhis2.faults.add({ method: 'POST', path: '/api/dataValueSets', action: { type: 'status', status } });
  // a 503 is retried by the client within the attempt, past any deadline: queued. A 400 is
  // final at its first answer (after the dry run): a deadline long enough for a busy host to get
  // there, so the run reports the refusal rather than the write still under way
  const first = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: status === 503 ? 200 : 15_000 });
  const refused = first.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101');
  t.equal(refused?.status, status === 503 ? 'queued' : 'rejected', `the first write: ${refused?.status}`);
  const id = (await rig.outbox.findByKey(refused!.key!))[0].id;
  // its attempt over (the client retries a 503 within it, past the run's deadline)
  await until('its attempt is over', async () => (await rig.outbox.getJob(id))?.status !== 'in-flight');
  rig.dhis2.faults.remove(down.id);
  // the LMIS corrects January: a receipt of 80 entered late
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 80, date: '2027-01-25', from: 'LK-WH-301', reason: 'Transfer In' },
  ]);
  return id;
}

/** The outbox worker's passes until every job is settled. */
async function deliverAll(rig: StockRig): Promise<void> {
  await until('every job is settled', async () => {
    await rig.outbox.runOnce();
    await rig.outbox.idle();
    return (await rig.store.listJobs({})).every((j) => j.status !== 'pending' && j.status !== 'in-flight');
  });
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: a correction while the first write waits lands last`, { skip: engine.skip }, async (t) => {
    const rig = await startJanuaryStockRig(t, engine);
    const older = await firstRunRefused(t, rig, 503);
    // DHIS2 is back; the older write is still in backoff when the next run comes
    const second = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: 2_000 });
    t.equal(second.counts.rejected, 0, JSON.stringify(second.counts));
    await deliverAll(rig);
    t.equal((await rig.outbox.getJob(older))?.status, 'done', 'the older write was delivered too');
    t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', JAN.id), '80', 'DHIS2 ends with the corrected stock');
    const settled = await runStockToDhis2(rig.deps, { period: JAN });
    t.equal(
      settled.counts.sent + settled.counts.queued,
      0,
      `nothing left to correct (${JSON.stringify(settled.counts)})`,
    );
  });

  t.test(
    `${engine.name}: a refused older write is not retried over the correction`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startJanuaryStockRig(t, engine);
      const older = await firstRunRefused(t, rig, 400);
      const second = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: 2_000 });
      t.equal(
        dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', JAN.id),
        '80',
        `corrected (${JSON.stringify(second.counts)})`,
      );
      const retried = await retryOutboxJob(rig.store, older, 'operator', 'rejected');
      t.notOk(retried.ok, 'an operator retry of the older write is refused');
      await deliverAll(rig);
      t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_SOH', JAN.id), '80', 'DHIS2 keeps the corrected stock');
    },
  );
}
