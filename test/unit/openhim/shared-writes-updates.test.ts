/**
 * A client reaching the mediator directly with a real OpenHIM transaction's id can send a request
 * with exactly the routed request's writes (their idempotency keys answer it from the same jobs),
 * recorded before or after the routed one. Before v50 the two shared one row: the forged request
 * kept first took the update's Bundle entry map (a short one held the routed update back up to
 * BATCH_ANSWER_WAIT_MS, a whole one put the forger's entries on OpenHIM's record), and later a
 * forged request of another size or release stripped the routed Bundle's shape. Each row is now
 * kept apart, and core's copy names the routed request's key: its row and map alone shape the
 * update, also when its row failed to be kept. Transactions marked before (no key named) are read
 * as then. Through the real updater, the OpenHIM sandbox and the sweep, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL.
 */
import t, { type Test } from 'tap';
import { routedTransaction } from '../../../sandbox/openhim/index.js';
import {
  AWAITS_UPDATE_OF_PROPERTY,
  AWAITS_UPDATE_OF_REQUEST_PROPERTY,
  AWAITS_UPDATE_PROPERTY,
  writeTagsOf,
} from '../../../src/openhim/transaction-id.js';
import type { Store } from '../../../src/store/index.js';
import { REQUESTS_PER_WRITES } from '../../../src/store/transaction-requests.js';
import type { TransactionEntries } from '../../../src/store/types.js';
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
 * How the routed request is known to core (v50): the key its envelope named (none: marked by a
 * release before), and its Bundle's entry map, recorded with its write (`job: 0`) under that key.
 */
interface Routed {
  key?: string;
  map?: Omit<TransactionEntries, 'transactionId' | 'requestKey'>;
}

/**
 * The routed request's one write under `tx`, answered 202, core's copy naming it (and `routed.key`);
 * `record` keeps the requests under the id (and their entry maps); then delivered and the update swept.
 */
async function updateAfter(
  t: Test,
  store: Store,
  tx: string,
  record: (jobId: string) => Promise<void>,
  routed: Routed = {},
) {
  const openhim = await openhimSandbox(t);
  const reporter = reporterFor(t, store, openhim.url);
  const outbox = outboxFailingOnce(t, store);
  const write = { flow: 'order', system: 'openlmis', idempotencyKey: `${tx}-1`, payload: {}, transactionId: tx };
  const map = routed.map && { ...routed.map, transactionId: tx, requestKey: routed.key };
  const [answer] = await outbox.acceptWrites([write], map ? { entries: map } : {});
  t.equal(answer.kind, 'queued', 'answered 202: an update is owed');
  const [job] = await store.jobsOfTransaction(tx);
  const properties = {
    [AWAITS_UPDATE_PROPERTY]: TEST_URN,
    [AWAITS_UPDATE_OF_PROPERTY]: writeTagsOf([job.id]),
    ...(routed.key ? { [AWAITS_UPDATE_OF_REQUEST_PROPERTY]: routed.key } : {}),
  };
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

const R5_JSON = 'application/fhir+json; fhirVersion=5.0';

/** The routed Bundle: its write (entry 0) and a read (entry 1), answered in R5, core naming its key. */
const ROUTED_BUNDLE: Routed = {
  key: 'routed',
  map: {
    count: 2,
    entries: [
      { entry: 0, job: 0, answer: { status: '201 Created' } },
      { entry: 1, answer: { status: '200 OK' } },
    ],
  },
};

/** A forger's Bundle of 3 under `tx` in R4, its entry 0 the routed write (the same job), all read. */
async function forgedBundle(store: Store, tx: string, jobId: string): Promise<void> {
  const reads = [0, 1, 2].map((entry) => ({ entry, answer: { status: '200 OK' } }));
  await store.recordTransactionEntries({ transactionId: tx, count: 3, entries: reads, requestKey: 'forged' });
  const forged = { transactionId: tx, jobIds: [jobId], requestKey: 'forged', entries: 3, contentType: R4_JSON };
  await store.recordTransactionRequest(forged);
}

/** The routed request's row (R5, `entries` in its Bundle, none: no Bundle). */
async function routedRow(store: Store, tx: string, jobId: string, entries?: number): Promise<void> {
  const routed = { transactionId: tx, jobIds: [jobId], requestKey: 'routed', contentType: R5_JSON };
  await store.recordTransactionRequest(entries === undefined ? routed : { ...routed, entries });
}

const contentTypeOf = (u: SentUpdate) =>
  (u.response as { headers?: Record<string, string> } | undefined)?.headers?.['Content-Type'];

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

    t.test('marked without a key, a forged Bundle kept by this release is not the routed request', async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-unkeyed-forged');
      // the routed single write answered by an instance of the previous release during a rolling
      // upgrade (core's copy names its write, no key; its row kept in v47's table, or lost); a
      // forger's Bundle of 3 in R4 with that write, answered here: its row and map kept apart
      const update = await updateAfter(t, store, tx, (jobId) => forgedBundle(store, tx, jobId));
      // before: the forger's row taken as the routed one: 200, ['200 OK' x3], fhirVersion 4.0
      t.equal(update.response?.status, 201, "the routed write's own answer");
      t.equal(entryStatusesOf(update), undefined, 'none of the forged entries');
      t.equal(contentTypeOf(update), 'application/fhir+json', "not the forger's release");
    });

    t.test(`at most ${REQUESTS_PER_WRITES} rows per writes: a forger repeating them adds no more`, async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-bounded-rows');
      const row = (requestKey: string, jobIds = ['j1']) => ({ transactionId: tx, jobIds, requestKey });
      for (let i = 0; i < REQUESTS_PER_WRITES + 3; i++) await store.recordTransactionRequest(row(`k${i}`));
      await store.recordTransactionRequest(row('other', ['j2']));
      const kept = await store.requestsOfTransaction(tx);
      // before: one row per request, without end
      t.equal(kept.filter((r) => r.jobIds[0] === 'j1').length, REQUESTS_PER_WRITES, 'at most the bound');
      t.ok(
        kept.some((r) => r.requestKey === 'other'),
        'a request with other writes still kept',
      );
    });

    t.test('each request with these writes is kept apart (v50); a replay keeps the first', async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-shared-rows');
      const one = { transactionId: tx, jobIds: ['j1'], requestKey: 'a', entries: 2, contentType: R4_JSON, apart: true };
      await store.recordTransactionRequest(one);
      await store.recordTransactionRequest({ ...one, entries: 3 });
      t.same(await store.requestsOfTransaction(tx), [one], 'the same request again: the first kept');
      const other = { ...one, requestKey: 'b', contentType: 'application/fhir+json' };
      await store.recordTransactionRequest(other);
      t.same(await store.requestsOfTransaction(tx), [one, other], 'another request with these writes: its own row');
    });

    for (const order of ['before', 'after'] as const)
      t.test(`a forged Bundle ${order} the routed one shapes none of its update`, async (t) => {
        const { store } = await freshStore(engine, t);
        const tx = txId(`tx-keyed-${order}`);
        const update = await updateAfter(
          t,
          store,
          tx,
          async (jobId) => {
            if (order === 'before') await forgedBundle(store, tx, jobId);
            await routedRow(store, tx, jobId, 2);
            if (order === 'after') await forgedBundle(store, tx, jobId);
          },
          ROUTED_BUNDLE,
        );
        // before v50: one shared row, its count and release lost: the bare 201 in plain FHIR JSON
        t.same(entryStatusesOf(update), ['201 Created', '200 OK'], "the routed Bundle's own entries, its read too");
        t.equal(update.response?.status, 200, 'a transaction-response');
        t.match(contentTypeOf(update), /fhirVersion=5\.0/, 'in the release the routed request was answered in');
      });

    t.test("the routed row not kept: a forged Bundle with its write is not its update's shape", async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-keyed-lost-row');
      // the routed single write's row failed to record (a store error as it was answered)
      const update = await updateAfter(t, store, tx, (jobId) => forgedBundle(store, tx, jobId), { key: 'routed' });
      t.equal(update.response?.status, 201, "the routed write's own answer (before: the forged Bundle's 200)");
      t.equal(entryStatusesOf(update), undefined, 'no Bundle: none of the forged entries');
      t.equal(
        contentTypeOf(update),
        'application/fhir+json',
        "its release not known: plain FHIR JSON, not the forger's",
      );
    });

    t.test("the routed Bundle's row not kept: its own map still shapes its update", async (t) => {
      const { store } = await freshStore(engine, t);
      const tx = txId('tx-keyed-lost-bundle-row');
      const update = await updateAfter(t, store, tx, (jobId) => forgedBundle(store, tx, jobId), ROUTED_BUNDLE);
      t.same(entryStatusesOf(update), ['201 Created', '200 OK'], 'its entries, none of the forged ones');
      t.equal(update.response?.status, 200, 'a transaction-response');
    });
  });
}
