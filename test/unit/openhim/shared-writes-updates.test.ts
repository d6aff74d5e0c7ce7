/**
 * A client reaching the mediator directly with a real OpenHIM transaction's id can send a request
 * with exactly the routed request's writes (their idempotency keys answer it from the same jobs),
 * recorded before the routed one. Its row was kept and the routed one's dropped (a replay keeps
 * the first), so the update took the forged request's Bundle entry map: a short one (a batch "still
 * being answered") held the routed update back up to BATCH_ANSWER_WAIT_MS (5 min), a whole one put
 * the forger's entries on OpenHIM's record. Which of the two core routed is not known: the update
 * is the routed writes' answers alone. Through the real updater, the OpenHIM sandbox and the
 * sweep, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import t, { type Test } from 'tap';
import { routedTransaction } from '../../../sandbox/openhim/index.js';
import { AWAITS_UPDATE_OF_PROPERTY, AWAITS_UPDATE_PROPERTY, writeTagsOf } from '../../../src/openhim/transaction-id.js';
import type { Store } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import {
  entryStatusesOf,
  openhimSandbox,
  outboxFailingOnce,
  pollUntil,
  reporterFor,
  TEST_URN,
  txId,
  type SentUpdate,
} from '../../support/transaction-update-rig.js';

const R4_JSON = 'application/fhir+json; fhirVersion=4.0';

/**
 * The routed request's one write under `tx`, answered 202, core's copy naming it; before it the
 * forged batch of `count` entries with the same write, `answered` of them recorded; then delivered.
 */
async function forgedFirstThenRouted(t: Test, store: Store, tx: string, count: number, answered: number) {
  return updateAfter(t, store, tx, async (jobId) => {
    const reads = Array.from({ length: answered }, (_, entry) => ({ entry, answer: { status: '200 OK' } }));
    await store.recordTransactionEntries({ transactionId: tx, count, entries: reads, requestKey: 'forged' });
    await store.recordTransactionRequest({
      transactionId: tx,
      jobIds: [jobId],
      requestKey: 'forged',
      entries: count,
      contentType: R4_JSON,
    });
    await store.recordTransactionRequest({
      transactionId: tx,
      jobIds: [jobId],
      requestKey: 'routed',
      contentType: R4_JSON,
    });
  });
}

/**
 * The routed request's one write under `tx`, answered 202, core's copy naming it; `record` keeps
 * the requests under the id (and their entry maps); then delivered and the update swept.
 */
async function updateAfter(t: Test, store: Store, tx: string, record: (jobId: string) => Promise<void>) {
  const openhim = await openhimSandbox(t);
  const reporter = reporterFor(t, store, openhim.url);
  const outbox = outboxFailingOnce(t, store);
  const write = { flow: 'order', system: 'openlmis', idempotencyKey: `${tx}-1`, payload: {}, transactionId: tx };
  const [answer] = await outbox.acceptWrites([write]);
  t.equal(answer.kind, 'queued', 'answered 202: an update is owed');
  const [job] = await store.jobsOfTransaction(tx);
  const properties = { [AWAITS_UPDATE_PROPERTY]: TEST_URN, [AWAITS_UPDATE_OF_PROPERTY]: writeTagsOf([job.id]) };
  const envelope = { status: 'Processing' as const, response: { status: 202 }, properties };
  openhim.state.transactions.set(tx, routedTransaction(tx, { method: 'POST', path: '/fhir/SupplyRequest' }, envelope));

  await record(job.id);
  outbox.startWorker();
  await pollUntil('the write delivered', async () => (await store.getJob(job.id))?.status === 'done');
  const [update] = await pollUntil('the update', async () => {
    await reporter.sweepOnce();
    return openhim.state.transactionUpdates.get(tx) as SentUpdate[] | undefined;
  });
  return update;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a forged batch still being answered holds the routed update back no longer', async (t) => {
      const { store } = await freshStore(engine, t);
      // a batch of 3 entries, 1 answered: before, no update for 5 minutes (the poll timed out)
      const update = await forgedFirstThenRouted(t, store, txId('tx-shared-short'), 3, 1);
      t.equal(update.response?.status, 201, "the routed write's own answer");
      t.equal(entryStatusesOf(update), undefined, 'no Bundle: none of the forged entries');
    });

    t.test("a forged whole batch's entries are not put on OpenHIM's record", async (t) => {
      const { store } = await freshStore(engine, t);
      const update = await forgedFirstThenRouted(t, store, txId('tx-shared-whole'), 2, 2);
      t.equal(update.response?.status, 201, "the routed write's own answer (before: the forged Bundle's 200)");
      t.equal(entryStatusesOf(update), undefined, "no Bundle (before: the forged reads' ['200 OK', '200 OK'])");
    });

    t.test('a forged request after the routed Bundle, of its count, leaves its update a Bundle', async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-shared-after');
      const R5_JSON = 'application/fhir+json; fhirVersion=5.0';
      // the routed Bundle: its write and a read (2 entries); then a forger's Bundle of 2 entries with
      // that write. Which is core's is not known (one row, SHARED_REQUEST_KEY): the read's answer
      // is left out, but both were Bundles of 2, so the update is a Bundle of the write's answer
      const update = await updateAfter(t, store, tx, async (jobId) => {
        const routed = { transactionId: tx, jobIds: [jobId], requestKey: 'routed', entries: 2, contentType: R5_JSON };
        const entries = [{ entry: 1, answer: { status: '200 OK' } }];
        await store.recordTransactionEntries({ transactionId: tx, count: 2, entries, requestKey: 'routed' });
        await store.recordTransactionRequest(routed);
        await store.recordTransactionRequest({ ...routed, requestKey: 'forged' });
      });
      t.same(entryStatusesOf(update), ['201 Created'], "a Bundle of its write's answer (before: the bare 201)");
      t.equal(update.response?.status, 200, 'a transaction-response');
    });

    t.test('the kept row says two requests had these writes; a replay keeps the first', async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-shared-rows');
      const one = { transactionId: tx, jobIds: ['j1'], requestKey: 'a', entries: 2, contentType: R4_JSON };
      await store.recordTransactionRequest(one);
      await store.recordTransactionRequest({ ...one, entries: 3 });
      t.same(await store.requestsOfTransaction(tx), [one], 'the same request again: the first kept');
      await store.recordTransactionRequest({ ...one, requestKey: 'b', contentType: 'application/fhir+json' });
      const [shared] = await store.requestsOfTransaction(tx);
      t.equal(shared.shared, true, 'another request with these writes: shared');
      t.equal(shared.requestKey, undefined, "neither request's key");
      t.equal(shared.contentType, undefined, 'their types differ: none');
      t.equal(shared.entries, 2, 'their counts agree: kept');
      await store.recordTransactionRequest({ ...one, requestKey: 'c', entries: 3 });
      const [third] = await store.requestsOfTransaction(tx);
      t.equal(third.entries, undefined, "a third request's count differs: none (whose Bundle it was is not known)");
    });
  });
}
