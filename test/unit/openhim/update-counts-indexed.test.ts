/**
 * The count of OpenHIM transaction updates not sent is read at every /metrics scrape and console
 * outbox page. It read every job row (only owed debts were indexed; sent ones and jobs never
 * routed through OpenHIM are nearly all rows), twice per scrape (once per gauge). Now: one read
 * per scrape, answered from the v19 partial indexes (the query plan names them). Figures:
 * bench/openhim-update-counts.ts. SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import t from 'tap';
import { Registry } from 'prom-client';
import { registerTransactionUpdateMetrics } from '../../../src/openhim/update-metrics.js';
import { UPDATE_COUNTS_SQL } from '../../../src/store/transaction-updates.js';
import type { Store } from '../../../src/store/types.js';
import type { WriteResult } from '../../../src/routing/ports.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const now = Date.now();
    await store.recordWrites(
      ['OWED', 'REFUSED', 'SENT'].map((id) =>
        newJob(id, {
          status: 'in-flight',
          attempts: 1,
          leaseOwner: 'A',
          leaseUntil: now + 60_000,
          transactionId: `tx-${id}`,
        }),
      ),
      [],
    );
    for (const id of ['OWED', 'REFUSED', 'SENT'])
      await store.finishJob(id, 'A', { status: 'done', result: RESULT, transactionUpdateDue: now }, now);
    await store.settleTransactionUpdate('REFUSED', { state: 'refused', error: 'OpenHIM answered 404' });
    await store.settleTransactionUpdate('SENT', { state: 'sent' });

    const plan = await queryPlan(databaseUrl, UPDATE_COUNTS_SQL);
    t.match(plan, /outbox_jobs_openhim_(unsent|not_sent)/, `the jobs' debts are counted from their index:\n${plan}`);
    t.match(plan, /openhim_rerun_updates_unsent/, "the reruns' debts are counted from theirs");
    t.notMatch(plan, /SCAN outbox_jobs\b|Seq Scan on outbox_jobs/, 'no read of the whole jobs table');

    let reads = 0;
    const counting = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'countTransactionUpdates')
          return () => {
            reads++;
            return target.countTransactionUpdates();
          };
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const registry = new Registry();
    registerTransactionUpdateMetrics(registry, counting);
    const text = await registry.metrics();
    t.match(text, /mediator_openhim_transaction_updates\{state="owed"\} 1/);
    t.match(text, /mediator_openhim_transaction_updates\{state="refused"\} 1/);
    t.match(text, /^mediator_openhim_transaction_update_oldest_owed_age_seconds \d/m);
    t.equal(reads, 1, 'one read of the store serves both gauges of a scrape');
  });
}
