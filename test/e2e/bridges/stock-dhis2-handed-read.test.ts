/**
 * The stock bridge reads what DHIS2 holds for each org unit and period to find what changed; the
 * DHIS2 write of the changes keeps a person's comment and follow-up mark on the values it
 * rewrites, and takes them from that same read (upstream/handed-reads.ts) rather than a second
 * GET. Only the write's first attempt does: a retry reads afresh, so a comment a person changed
 * while the write waited is the one kept. Real OpenLMIS and DHIS2 sandboxes, the outbox and the
 * store, on both engines; DHIS2's GETs of data values counted by a rule that only waits 0 ms.
 */
import t from 'tap';
import { runStockToDhis2, type StockBridgeResult } from '../../../src/bridges/stock-to-dhis2.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { engineCases } from '../../support/outbox-engines.js';
import { until } from '../../support/net.js';
import { dhis2Value, startJanuaryStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

/** LK-HC-101's ORS stock on hand for January as DHIS2 stores it (comment and follow-up included). */
function orsStock(rig: StockRig): { value: string; comment?: string; followup?: boolean } | undefined {
  const sb = rig.dhis2.state;
  const ou = [...sb.orgUnits.values()].find((o) => o.code === 'LK-HC-101')!.id;
  const de = [...sb.dataElements.values()].find((d) => d.code === 'EM_ORS_SOH')!.id;
  return [...sb.dataValues.values()].find((v) => v.orgUnit === ou && v.dataElement === de && v.period === JAN.id);
}

/** Counts the GETs of /api/dataValueSets from now on. */
function countReads(rig: StockRig): () => number {
  const rule = rig.dhis2.faults.add({ method: 'GET', path: '/api/dataValueSets', action: { type: 'delay', ms: 0 } });
  return () => rig.dhis2.faults.list().find((r) => r.id === rule.id)?.hits ?? 0;
}

/** Org units the run compared with DHIS2 (each one read of its period). */
const compared = (r: StockBridgeResult) => r.facilities - r.counts['no-org-unit'] - r.counts['shared-org-unit'];

// the bridge reads data elements by code; a write naming them by UID finds each value by its code
const SCHEMES = ['CODE', 'UID'];

for (const engine of engineCases()) {
  for (const scheme of SCHEMES)
    t.test(
      `${engine.name}: a bridge run reads each org unit's period once, and its writes keep a person's notes (data elements by ${scheme})`,
      { skip: engine.skip },
      async (t) => {
        const rig = await startJanuaryStockRig(t, engine, { settings: { 'dhis2.dataElementIdScheme': scheme } });
        const reads = countReads(rig);
        const first = await runStockToDhis2(rig.deps, { period: JAN, keep: () => true });
        t.ok(first.counts.sent >= 1, `values written (${JSON.stringify(first.counts)})`);
        t.equal(
          reads(),
          compared(first),
          `one GET per org unit compared, none more for the ${first.counts.sent} written`,
        );
        t.equal(orsStock(rig)?.value, '0');

        // a data manager comments on the stock-out and marks it; then the LMIS corrects January
        Object.assign(orsStock(rig)!, { comment: 'Stock-out confirmed by phone.', followup: true });
        await rig.postEvent('LK-HC-101', 'EM01', [
          { product: 'EM-ORS', quantity: 80, date: '2027-01-25', from: 'LK-WH-301', reason: 'Transfer In' },
        ]);
        const before = reads();
        const second = await runStockToDhis2(rig.deps, { period: JAN, keep: () => true });
        t.equal(second.counts.sent, 1, `the corrected org unit (${JSON.stringify(second.counts)})`);
        t.equal(reads() - before, compared(second), 'again one GET per org unit compared');
        t.match(
          orsStock(rig),
          { value: '80', comment: 'Stock-out confirmed by phone.', followup: true },
          'the rewritten value keeps the comment and the mark the run read',
        );
      },
    );

  t.test(
    `${engine.name}: a retried write reads DHIS2 afresh and keeps the notes a person changed meanwhile`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startJanuaryStockRig(t, engine);
      await runStockToDhis2(rig.deps, { period: JAN });
      Object.assign(orsStock(rig)!, { comment: 'Stock-out confirmed by phone.' });
      await rig.postEvent('LK-HC-101', 'EM01', [
        { product: 'EM-ORS', quantity: 80, date: '2027-01-25', from: 'LK-WH-301', reason: 'Transfer In' },
      ]);

      // DHIS2 refuses every import for a while: the write's first attempt fails and it waits in the outbox
      const down = rig.dhis2.faults.add({
        method: 'POST',
        path: '/api/dataValueSets',
        action: { type: 'status', status: 503 },
      });
      const run = await runStockToDhis2(rig.deps, { period: JAN, deadlineMs: 200, keep: () => true });
      const queued = run.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101');
      t.equal(queued?.status, 'queued', `the write waits (${JSON.stringify(run.counts)})`);
      const id = (await rig.outbox.findByKey(queued!.key!))[0].id;
      await until('its attempt is over', async () => (await rig.outbox.getJob(id))?.status !== 'in-flight');

      // meanwhile the data manager rewrites the comment and marks the value
      Object.assign(orsStock(rig)!, { comment: 'Delivery of 80 expected on the 25th.', followup: true });
      const reads = countReads(rig);
      rig.dhis2.faults.remove(down.id);
      rig.outbox.startWorker();
      await until('the retry is done', async () => (await rig.outbox.getJob(id))?.status === 'done');
      t.equal(reads(), 1, "the retry read the period's values again");
      t.match(
        orsStock(rig),
        { value: '80', comment: 'Delivery of 80 expected on the 25th.', followup: true },
        'and kept the comment and mark as the person left them, not as the run had read them',
      );
      t.equal(dhis2Value(rig.dhis2, 'LK-HC-101', 'EM_ORS_RCVD', JAN.id), '80');
    },
  );
}
