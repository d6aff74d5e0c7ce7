/**
 * The jobs of one OpenHIM transaction ending together (a Bundle's writes; a forged write under a
 * routed one's id) each report it, and each report builds the one update from all of them. Sent at
 * once, both PUTs carried the same stored calls ($push), so core kept them twice. One send per
 * transaction at a time in a process: the next reads the debts again once it is answered, and
 * finds nothing owed. SQLite always, PostgreSQL with TEST_DATABASE_URL.
 */
import t from 'tap';
import { createTransactionReporter } from '../../../src/openhim/transaction-update-sweep.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { inFlightJob } from '../../support/new-job.js';
import { FAST_UPDATE_TIMINGS, txId } from '../../support/transaction-update-rig.js';

const TX = txId('tx-together');

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const now = Date.now();
    const at = { now: now - 5_000, leaseUntil: now + 60_000 };
    for (const id of ['a', 'b']) {
      await store.recordWrite({ ...inFlightJob(id, 'w', at), transactionId: TX });
      const calls = JSON.stringify([{ name: `call of ${id}` }]);
      const end = {
        status: 'done' as const,
        result: { system: 'dhis2', ids: {} },
        transactionUpdateDue: now + 60_000,
        openhimFinalCalls: calls,
      };
      t.ok(await store.finishJob(id, 'w', end, now));
    }
    let sends = 0;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const reporter = createTransactionReporter({
      store,
      send: async () => {
        sends += 1;
        await answered; // core has not answered the first PUT yet when the second job reports
        return { kind: 'sent' };
      },
      timings: FAST_UPDATE_TIMINGS,
    });
    t.teardown(() => reporter.stop());
    const [a, b] = await Promise.all([store.getJob('a'), store.getJob('b')]);
    const reports = Promise.all([reporter.report(a!), reporter.report(b!)]);
    // both reports read the transaction before either send is answered
    const deadline = Date.now() + 10_000;
    while (sends === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50)); // a second send, were it made, starts meanwhile
    answer();
    await reports;
    t.equal(sends, 1, 'one PUT for the transaction: the second report finds its debt settled');
    const jobs = await store.jobsOfTransaction(TX);
    t.same(
      jobs.map((j) => j.transactionUpdate?.state),
      ['sent', 'sent'],
      'both debts settled by it',
    );
  });
}
