/**
 * The update of an OpenHIM transaction follows the routed request's own Bundle entry map, whatever
 * another request recorded under the same id (store v48: one map per request). Through the real
 * updater, the OpenHIM sandbox and the sweep, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 * The transactions here are marked as a release before writes were named marked them
 * (acceptedThroughOpenHim): their routed Bundle was answered then, its map kept without a key, and
 * a client reaching the mediator directly after the upgrade recorded another under the id.
 */
import t, { type Test } from 'tap';
import type { Store } from '../../../src/store/index.js';
import type { TransactionEntries } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import {
  entryStatusesOf,
  openhimSandbox,
  outboxFailingOnce,
  pollUntil,
  reporterFor,
  txId,
  type SentUpdate,
} from '../../support/transaction-update-rig.js';

/** The routed Bundle of then: a read, then an order line (its answer once delivered), its map kept with no key. */
function routedMap(tx: string): TransactionEntries {
  return {
    transactionId: tx,
    count: 2,
    entries: [
      { entry: 0, answer: { status: '200 OK' } },
      { entry: 1, job: 0, answer: { status: '201 Created', location: 'http://m/fhir/SupplyRequest/a' } },
    ],
  };
}

/** A map a client straight to the mediator recorded under the id after the upgrade: `of` of `count` reads. */
function laterMap(tx: string, requestKey: string, count: number, of = count): TransactionEntries {
  const entries = Array.from({ length: of }, (_, entry) => ({ entry, answer: { status: '200 OK' } }));
  return { transactionId: tx, count, entries, requestKey };
}

/** The routed Bundle's write under `tx`, answered 202 and then delivered, with its map and `later`. */
async function routedBundleThenLater(t: Test, store: Store, tx: string, later: TransactionEntries[]) {
  const outbox = outboxFailingOnce(t, store);
  const write = { flow: 'order', system: 'openlmis', idempotencyKey: `${tx}-1`, payload: {}, transactionId: tx };
  const [answer] = await outbox.acceptWrites([write], { entries: routedMap(tx) });
  t.equal(answer.kind, 'queued', 'answered 202: an update is owed');
  for (const map of later) await store.recordTransactionEntries(map);
  outbox.startWorker();
  await pollUntil('the write delivered', async () => (await store.jobsOfTransaction(tx))[0]?.status === 'done');
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test("a transaction marked before writes were named: its update is its own map's entries", async (t) => {
      const tx = txId('tx-unnamed-two-maps');
      const { store } = await freshStore(engine, t);
      const openhim = await openhimSandbox(t, ['tx-unnamed-two-maps']);
      const reporter = reporterFor(t, store, openhim.url);
      await routedBundleThenLater(t, store, tx, [laterMap(tx, 'later', 2)]);

      const [update] = await pollUntil('the update', async () => {
        await reporter.sweepOnce();
        return openhim.state.transactionUpdates.get(tx) as SentUpdate[] | undefined;
      });
      t.same(
        entryStatusesOf(update),
        ['200 OK', '201 Created'],
        "the routed Bundle's two entries, in order (before: four, each position twice)",
      );
    });

    t.test("another request's batch still being answered holds the routed update back no longer", async (t) => {
      const tx = txId('tx-unnamed-later-short');
      const { store } = await freshStore(engine, t);
      const openhim = await openhimSandbox(t, ['tx-unnamed-later-short']);
      const reporter = reporterFor(t, store, openhim.url);
      // a batch of 3 entries straight to the mediator, 1 answered so far: its map is short
      await routedBundleThenLater(t, store, tx, [laterMap(tx, 'later', 3, 1)]);

      const [update] = await pollUntil('the update', async () => {
        await reporter.sweepOnce();
        return openhim.state.transactionUpdates.get(tx) as SentUpdate[] | undefined;
      });
      t.same(entryStatusesOf(update), ['200 OK', '201 Created'], 'sent with its own map (before: held back 5 minutes)');
    });

    t.test('the routed batch itself still being answered: its update waits', async (t) => {
      const tx = txId('tx-unnamed-own-short');
      const { store } = await freshStore(engine, t);
      const openhim = await openhimSandbox(t, ['tx-unnamed-own-short']);
      const reporter = reporterFor(t, store, openhim.url);
      const outbox = outboxFailingOnce(t, store);
      const write = { flow: 'order', system: 'openlmis', idempotencyKey: `${tx}-1`, payload: {}, transactionId: tx };
      const own = routedMap(tx);
      // its write's entry recorded, its read not yet: a batch of 2 still being answered
      await outbox.acceptWrites([write], { entries: { ...own, entries: own.entries.slice(1) } });
      await store.recordTransactionEntries(laterMap(tx, 'later', 2));
      outbox.startWorker();
      const job = await pollUntil('the write ended owing its update', async () => {
        const [j] = await store.jobsOfTransaction(tx);
        return j?.status === 'done' && j.transactionUpdate?.state === 'owed' ? j : undefined;
      });
      // every pass from its debt's due time on sends nothing while the batch may still be answered
      await pollUntil('its debt due', () => (job.transactionUpdate?.dueAt ?? 0) <= Date.now());
      await reporter.sweepOnce();
      t.notOk(openhim.state.transactionUpdates.has(tx), "not sent: another request's whole map is not its own");
      t.match((await store.getJob(job.id))?.transactionUpdate, { state: 'owed' }, 'still owed');
    });
  });
}
