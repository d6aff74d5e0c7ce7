/**
 * The stock → DHIS2 bridge on the commonest bad day: DHIS2 was out past the data set's expiry
 * days, so January's push comes back untimely; and a new facility is outside the integration
 * user's data capture org units. Through the real connectors, the outbox and the store (SQLite,
 * and PostgreSQL when TEST_DATABASE_URL is set), on DHIS2 2.41 (per-value conflicts) and 2.43
 * (a refusal of the whole group): the facility is reported refused with which org unit, period
 * and data set and why, with DHIS2's code; the outbox does not retry it (a later run asks DHIS2
 * once more); once a DHIS2 administrator reopens the period (or gives access), an operator's retry
 * of the job delivers it and the next run finds nothing to send.
 */
import t, { type Test } from 'tap';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { stockRunDetail } from '../../../src/bridges/stock-run-detail.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { dhis2Value, startJanuaryStockRig, type StockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

const rig = (t: Test, version: string, engine: EngineCase) => startJanuaryStockRig(t, engine, { version });

const posts = (r: StockRig) => r.dhis2.state.count('POST', '/api/dataValueSets');

/** The operator retries the facility's job (admin API / CLI `outbox retry`) and the worker delivers it. */
async function retryJob(t: Test, r: StockRig, key: string) {
  // each bridge run's write of a refused key takes it over (outbox: a refused write keeps no key)
  const job = (await r.outbox.findByKey(key)).find((j) => !j.supersededBy);
  t.equal(job?.status, 'rejected', 'the job is rejected, waiting for a person');
  const retried = await retryOutboxJob(r.store, job!.id, 'operator', 'rejected');
  t.ok(retried.ok, 'the operator retries it');
  await r.outbox.runOnce();
  await r.outbox.idle();
  t.equal((await r.outbox.getJob(job!.id))?.status, 'done', 'and it is delivered');
}

const CASES = [
  { version: '2.41.3', untimely: 'E7640', outside: 'E7617' },
  { version: '2.43.0', untimely: 'E8030', outside: 'E8011' },
];

for (const engine of engineCases()) {
  for (const c of CASES) {
    t.test(
      `${engine.name}, DHIS2 ${c.version}: past the expiry days, then reopened`,
      { skip: engine.skip },
      async (t) => {
        const r = await rig(t, c.version, engine);
        r.dhis2.state.dataSets.get('LkStockMnth')!.expiryDays = 10;
        r.dhis2.state.clockOffsetMs = Date.parse('2027-02-20T08:00:00Z') - Date.now();

        const run = await runStockToDhis2(r.deps, { period: JAN, concurrency: 1 });
        const hc101 = run.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101');
        t.equal(hc101?.status, 'rejected', `refused (${JSON.stringify(run.counts)})`);
        t.match(
          hc101?.error,
          new RegExp(
            `untimely: period 202701 is closed .*data set LkStockMnth.*org unit LK-HC-101.*then retry the job \\(DHIS2 ${c.untimely}\\)`,
          ),
          'which period, data set and org unit, why, what to do, and DHIS2 code',
        );
        t.match(
          stockRunDetail([{ period: run.period, outcome: hc101! }]),
          /: DHIS2 refused the values: accepted 0 of (\d+) data values for LK-HC-101 202701; \1 refused: untimely: period 202701/,
          'DHIS2 named once; every value counted as refused',
        );
        t.equal(dhis2Value(r.dhis2, 'LK-HC-101', 'EM_ORS_CONS', '202701'), undefined);

        const before = posts(r);
        const again = await runStockToDhis2(r.deps, { period: JAN, concurrency: 1 });
        t.equal(again.counts.rejected, run.counts.rejected, 'the next run: refused again while DHIS2 is closed');
        t.equal(
          posts(r) - before,
          run.counts.rejected,
          'asked once per refused facility, never retried by the outbox in between',
        );
        t.match(
          again.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101')?.error,
          /untimely: period 202701/,
          'and still says why',
        );

        // the DHIS2 administrator reopens January for the facility (a lock exception)
        const ou = r.dhis2.state.summary().orgUnits['LK-HC-101'];
        r.dhis2.state.dataSets.get('LkStockMnth')!.lockExceptions.add(`${ou}|202701`);
        await retryJob(t, r, hc101!.key!);
        t.equal(dhis2Value(r.dhis2, 'LK-HC-101', 'EM_ORS_CONS', '202701'), '150', 'DHIS2 holds the value');

        const after = await runStockToDhis2(r.deps, { period: JAN, concurrency: 1 });
        t.equal(
          after.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101')?.status,
          undefined,
          'the next run finds it unchanged (not reported)',
        );
      },
    );

    t.test(
      `${engine.name}, DHIS2 ${c.version}: a facility outside the user's capture org units`,
      { skip: engine.skip },
      async (t) => {
        const r = await rig(t, c.version, engine);
        // the integration user was given the southern region only
        r.dhis2.state.userNamed('mediator')!.captureOrgUnits = ['LKL-S'];
        const run = await runStockToDhis2(r.deps, { period: JAN, concurrency: 1 });
        const hc101 = run.outcomes.find((o) => o.orgUnit?.code === 'LK-HC-101');
        t.equal(hc101?.status, 'rejected');
        t.match(
          hc101?.error,
          new RegExp(`no access: .*may not enter data for org unit LK-HC-101 .*\\(DHIS2 ${c.outside}\\)`),
        );
        r.dhis2.state.userNamed('mediator')!.captureOrgUnits = ['LKL'];
        await retryJob(t, r, hc101!.key!);
        t.equal(dhis2Value(r.dhis2, 'LK-HC-101', 'EM_ORS_CONS', '202701'), '150');
      },
    );
  }
}
