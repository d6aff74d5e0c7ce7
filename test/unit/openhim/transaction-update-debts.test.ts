/**
 * The OpenHIM transaction update a 202'd write owes is durable: recorded with the job's end, on
 * SQLite and (with TEST_DATABASE_URL) PostgreSQL. A process that dies before sending it leaves it
 * to the next process's sweep; an OpenHIM down for longer than any in-memory retry gets it once
 * back; a 4xx that cannot succeed is recorded and not sent again; a debt failing past the give-up
 * age is abandoned; and with no OpenHIM configured nothing is owed.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore, type Store } from '../../../src/store/index.js';
import type { OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import {
  deliveredAfter202,
  openhimSandbox,
  outboxFailingOnce,
  pollUntil,
  reporterFor,
  txId,
} from '../../support/transaction-update-rig.js';

/** The OpenHIM transactions these tests send through, as core keeps them once answered 202 (txId). */
const TRANSACTIONS = ['tx-404', 'tx-crash', 'tx-down', 'tx-nobody', 'tx-none', 'tx-old', 'tx-slow'];

const updatesOf = (openhim: OpenHimSandbox, tx: string) =>
  (openhim.state.transactionUpdates.get(tx) ?? []) as { status?: string; response?: { status?: number } }[];
/** Every call about transaction `tx`: the read before the first update, and the updates. */
const callsAbout = (openhim: OpenHimSandbox, tx: string) =>
  openhim.state.calls.filter((c) => c.url.startsWith(`/transactions/${tx}`));
const putsOf = (openhim: OpenHimSandbox, tx: string) =>
  openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('the process dies between the job end and the update: the next one sends it', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store, databaseUrl } = await freshStore(engine, t);
      // the first process ends the job and dies before it reaches OpenHIM: its report never runs
      const dying = outboxFailingOnce(t, store, { onSettled: () => undefined });
      const ended = await deliveredAfter202(dying, store, txId('tx-crash'));
      await dying.stop();
      t.match(ended.transactionUpdate, { state: 'owed', attempts: 0 }, 'the end recorded the debt with itself');
      t.equal(putsOf(openhim, txId('tx-crash')).length, 0, 'OpenHIM has heard nothing: the transaction is Processing');

      // a fresh process on the same database: its sweep at start-up finds the debt once it is due
      const again = await openStore({ databaseUrl });
      t.teardown(() => again.close());
      const reporter = reporterFor(t, again, openhim.url);
      reporter.start();
      await pollUntil('the update', () => updatesOf(openhim, txId('tx-crash')).length > 0);
      const [update] = updatesOf(openhim, txId('tx-crash'));
      t.match(update, { status: 'Successful', response: { status: 201 } }, 'OpenHIM gets the final state');
      const settled = await pollUntil('the debt settled', async () => {
        const job = await again.getJob(ended.id);
        return job?.transactionUpdate?.state !== 'owed' ? job : undefined;
      });
      t.match(settled.transactionUpdate, { state: 'sent', attempts: 1 }, 'recorded as sent');
      t.equal(await reporter.sweepOnce(), 0, 'nothing left owed');
      t.equal(putsOf(openhim, txId('tx-crash')).length, 1, 'sent once: a sent debt is not sent again');
    });

    t.test('OpenHIM down far longer than the old in-memory retries: delivered once back', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      openhim.state.unavailable = true; // every API call a 503
      const reporter = reporterFor(t, store, openhim.url);
      reporter.start();
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job) });
      const ended = await deliveredAfter202(outbox, store, txId('tx-down'));
      // the old updater gave up after 1 + 5 tries; this debt outlives that many and more
      await pollUntil('ten refused sends', () => callsAbout(openhim, txId('tx-down')).length >= 10);
      // every failed send is counted (the tenth's answer may still be on its way to the store)
      const owed = await pollUntil('ten refused sends counted', async () => {
        const job = await store.getJob(ended.id);
        return (job?.transactionUpdate?.attempts ?? 0) >= 10 ? job : undefined;
      });
      t.match(owed.transactionUpdate, { state: 'owed', lastError: 'OpenHIM answered 503' });
      t.equal(updatesOf(openhim, txId('tx-down')).length, 0);
      openhim.state.unavailable = false;
      await pollUntil('the update', () => updatesOf(openhim, txId('tx-down')).length > 0);
      t.match(updatesOf(openhim, txId('tx-down')), [{ status: 'Successful', response: { status: 201 } }]);
      await pollUntil(
        'the debt settled',
        async () => (await store.getJob(ended.id))?.transactionUpdate?.state === 'sent',
      );
      const puts = putsOf(openhim, txId('tx-down')).length;
      await new Promise((r) => setTimeout(r, 150)); // several sweep periods
      t.equal(putsOf(openhim, txId('tx-down')).length, puts, 'nothing sent after OpenHIM took it');
    });

    t.test('a 4xx that cannot succeed is recorded and not sent again', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      // a wrong API base path: core's router answers 404 for every update
      const reporter = reporterFor(t, store, `${openhim.url}/no-such-api`);
      reporter.start();
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job) });
      const ended = await deliveredAfter202(outbox, store, txId('tx-404'));
      const refused = await pollUntil('the refusal', async () => {
        const job = await store.getJob(ended.id);
        return job?.transactionUpdate?.state === 'refused' ? job : undefined;
      });
      t.match(refused.transactionUpdate, { state: 'refused', attempts: 1, lastError: 'OpenHIM answered 404' });
      t.equal(refused.transactionUpdate?.dueAt, undefined, 'no longer due');
      await new Promise((r) => setTimeout(r, 150));
      await reporter.sweepOnce();
      t.equal(
        openhim.state.calls.filter((c) => c.url.startsWith(`/no-such-api/transactions/${txId('tx-404')}`)).length,
        1,
        'sent once, never retried',
      );
    });

    t.test('a debt failing past the give-up age is abandoned, then left alone', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      openhim.state.unavailable = true;
      const reporter = reporterFor(t, store, openhim.url, { giveUpAfterMs: 200 });
      reporter.start();
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job) });
      const ended = await deliveredAfter202(outbox, store, txId('tx-old'));
      const abandoned = await pollUntil('the give-up', async () => {
        const job = await store.getJob(ended.id);
        return job?.transactionUpdate?.state === 'abandoned' ? job : undefined;
      });
      t.match(abandoned.transactionUpdate?.lastError, /^OpenHIM answered 503; given up 200 ms after the job ended$/);
      const calls = callsAbout(openhim, txId('tx-old')).length;
      openhim.state.unavailable = false;
      await new Promise((r) => setTimeout(r, 150));
      t.equal(callsAbout(openhim, txId('tx-old')).length, calls, 'no send after the give-up');
    });

    t.test('the deadline passes while the end is recorded as the answer: the client gets that end', async (t) => {
      const { store } = await freshStore(engine, t);
      // a slow commit: the client's deadline passes after the end (owing nothing) was started
      const slowEnds = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'finishJob')
            return async (...args: Parameters<Store['finishJob']>) => {
              await new Promise((r) => setTimeout(r, 300));
              return target.finishJob(...args);
            };
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const outbox = new Outbox({
        store: slowEnds,
        onSettled: () => undefined,
        owesTransactionUpdate: (job) => job.transactionId !== undefined,
        options: { deadlineMs: 100 },
      });
      t.teardown(() => outbox.stop());
      outbox.register('order', 'openlmis', async () => ({ system: 'openlmis', ids: { requisition: 'req-1' } }));
      const outcome = await outbox.acceptWrite({
        flow: 'order',
        system: 'openlmis',
        idempotencyKey: 'key-slow',
        payload: { n: 1 },
        transactionId: txId('tx-slow'),
      });
      // a 202 here would leave the transaction Processing: this end records no update to mend it
      t.equal(outcome.kind, 'done', 'answered with the end, not 202');
      t.equal((await store.getJob(outcome.jobId))?.transactionUpdate, undefined, 'and owes OpenHIM nothing');
    });

    t.test('no OpenHIM configured: the end owes nothing and no sweep sends anything', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      const reporter = reporterFor(t, store, openhim.url);
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job), owes: false });
      const ended = await deliveredAfter202(outbox, store, txId('tx-none'));
      await outbox.idle();
      t.equal(ended.transactionUpdate, undefined);
      t.equal(await reporter.sweepOnce(), 0);
      t.equal(openhim.state.calls.length, 0);
    });
  });
}

t.test('with nothing to report to, the outbox keeps no per-job report state after its jobs end', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  const outbox = outboxFailingOnce(t, store); // no onSettled: a worker's ends are reported to nobody
  await deliveredAfter202(outbox, store, txId('tx-nobody'));
  await outbox.idle();
  // a set that only grows would hold an id per write a worker or a 202 ever ended
  t.equal((outbox as unknown as { answeredEarly: Set<string> }).answeredEarly.size, 0);
});
