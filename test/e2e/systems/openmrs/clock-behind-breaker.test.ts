/**
 * An OpenMRS server whose clock runs a couple of minutes slow (no NTP) refuses counts sent the
 * moment they are made as dated in the future (operation-date.ts clockBehind). OpenMRS answered:
 * it is up, and only those writes must wait. Counted against its circuit breaker, a few such
 * counts opened it and held every other OpenMRS write. Now they count against no breaker: an
 * order sent after them is delivered at once, while the counts are still retried and charged, so
 * a clock that stays behind ends them as dead letters after outbox.maxAttempts, never held
 * forever. Through the real mediator, connector and OpenMRS sandbox, on both store engines.
 */
import t from 'tap';
import { until } from '../../../support/net.js';
import { order } from '../../../support/openmrs-app-orders.js';
import { startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';
import { engineCases } from '../../../support/outbox-engines.js';

const BREAKER_FAILURES = 2;
const MAX_ATTEMPTS = 3;
const ENV = {
  OUTBOX_BREAKER_FAILURES: String(BREAKER_FAILURES),
  OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  // once open, the breaker would hold the order far longer than this test runs
  OUTBOX_BREAKER_OPEN_MS: '600000',
};
/** Counts of different items, more than the breaker's threshold. */
const COUNTS = [
  ['CNT-SLOW-1', '10860012300058', 'AMX-2401', 930],
  ['CNT-SLOW-2', '10860012300065', 'PCM-2401', 1990],
  ['CNT-SLOW-3', '10860012300058', 'AMX-2401', 925],
] as const;

const countJobs = async (rig: OpenMrsRig) =>
  (await rig.mediator.store.listJobs({})).filter((j) => j.system === 'openmrs' && j.flow === 'stock');

for (const engine of engineCases())
  t.test(
    `OpenMRS's clock behind: counts it refuses do not open its breaker (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-clock-breaker', ENV);
      const { sb, fhir } = rig;
      // OpenMRS's clock slow (no NTP): by far enough that no count of a minute ago is ever accepted
      // while the test runs, however loaded the machine
      sb.store.clockOffsetMs = -30 * 60_000;
      const justNow = new Date(Date.now() - 60_000).toISOString();

      for (const [id, gtin, lot, quantity] of COUNTS) {
        const count = structuredClone(appCount(id, { gtin, lot, quantity })) as any;
        count.inventoryListing[0].countingDateTime = justNow;
        const posted = await fhir('POST', '/fhir/R5/InventoryReport', count);
        t.equal(posted.status, 202, `${id} queued: ${why(posted)}`);
        t.match(why(posted), /OpenMRS's clock is behind/);
      }
      t.equal(rig.mediator.outbox.breakerGates().openmrs ?? 'closed', 'closed', 'the breaker stays closed');

      // an order dated before OpenMRS's clock: delivered at once, not held behind an open breaker
      const ordered = await fhir('POST', '/fhir/SupplyRequest', order('SLOW-1', 20));
      t.equal(ordered.status, 201, why(ordered));
      t.equal(sb.store.writes['stockoperation.create.requisition'], 1, 'the requisition made once');

      // the counts are still charged: a clock that stays behind dead-letters them, never holds them
      const ended = await until(
        'the counts dead-lettered',
        async () => {
          const jobs = await countJobs(rig);
          return jobs.length === COUNTS.length && jobs.every((j) => j.status === 'dead') ? jobs : undefined;
        },
        30_000,
      );
      t.same(
        ended.map((j) => j.attempts),
        ended.map(() => MAX_ATTEMPTS),
        'each charged its attempts',
      );
      t.equal(sb.store.writes['stockoperation.create.stocktake'] ?? 0, 0, 'no count made');
    },
  );
