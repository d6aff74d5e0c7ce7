/**
 * Migration v50 (transaction-requests.ts): each request under an OpenHIM transaction id is kept
 * apart, also when another had exactly its writes. From a v49 database with rows the previous
 * release wrote (one shared by two requests, one of before v48 with no key, one with its key and
 * its map) and their writes in flight: each reads back as it was kept, and each update, sent
 * through the real updater to the OpenHIM sandbox whose copies name the writes but no request (as
 * that release's envelopes did), is what that release sent. A forger's request recorded after the
 * upgrade, with the keyed row's writes, gets its own row and shapes nothing of that update.
 */
import t from 'tap';
import { routedTransaction } from '../../../sandbox/openhim/index.js';
import { AWAITS_UPDATE_OF_PROPERTY, AWAITS_UPDATE_PROPERTY, writeTag } from '../../../src/openhim/transaction-id.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import {
  entryStatusesOf,
  openhimSandbox,
  pollUntil,
  reporterFor,
  TEST_URN,
  txId,
  type SentUpdate,
} from '../../support/transaction-update-rig.js';

const NOW = 1_700_000_000_000;
const R4 = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
const R5 = 'application/fhir+json; fhirVersion=5.0; charset=utf-8';
/** Transactions and their one write each: a shared row, a row of before v48, a keyed row. */
const SHARED = { tx: txId('v50-shared'), job: '0190c0de-0001-7000-8000-aaaaaaaa050a' };
const UNKEYED = { tx: txId('v50-unkeyed'), job: '0190c0de-0001-7000-8000-aaaaaaaa050b' };
const KEYED = { tx: txId('v50-keyed'), job: '0190c0de-0001-7000-8000-aaaaaaaa050c' };
/** A keyed row and its map no forger joins after the upgrade. */
const ALONE = { tx: txId('v50-alone'), job: '0190c0de-0001-7000-8000-aaaaaaaa050d' };
const ALL = [SHARED, UNKEYED, KEYED, ALONE];

const jobRow = ({ tx, job }: { tx: string; job: string }) =>
  `('${job}', 'order', 'openlmis', 'order|${job}', 'h', '{}', 'in-flight', 0, 0, 0, '${tx}', 'w', ${NOW + 60_000}, 1)`;

const V49 = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at,
  created_at, updated_at, transaction_id, lease_owner, lease_until, attempts) VALUES ${ALL.map(jobRow).join(', ')};
INSERT INTO openhim_transaction_requests (transaction_id, writes, content_type, entries, recorded_at, request_key) VALUES
  ('${SHARED.tx}', '${SHARED.job}', '${R4}', 2, ${NOW}, '*'),
  ('${UNKEYED.tx}', '${UNKEYED.job}', '${R4}', NULL, ${NOW}, NULL),
  ('${KEYED.tx}', '${KEYED.job}', '${R5}', 2, ${NOW}, 'k-routed'),
  ('${ALONE.tx}', '${ALONE.job}', '${R5}', 2, ${NOW}, 'k-alone');
INSERT INTO openhim_transaction_entries (transaction_id, request_key, entry, entries, job_id, answer, recorded_at) VALUES
  ('${KEYED.tx}', 'k-routed', 0, 2, '${KEYED.job}', '{"status":"201 Created"}', ${NOW}),
  ('${KEYED.tx}', 'k-routed', 1, 2, NULL, '{"status":"200 OK"}', ${NOW}),
  ('${ALONE.tx}', 'k-alone', 0, 2, '${ALONE.job}', '{"status":"201 Created"}', ${NOW}),
  ('${ALONE.tx}', 'k-alone', 1, 2, NULL, '{"status":"200 OK"}', ${NOW});`;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 50, V49);
    t.ok((await store.migrationVersions()).includes(50), 'v50 applied');
    t.same(
      await store.requestsOfTransaction(SHARED.tx),
      [{ transactionId: SHARED.tx, jobIds: [SHARED.job], contentType: R4, entries: 2, shared: true }],
      'the shared row still reads as shared',
    );
    t.same(
      await store.requestsOfTransaction(UNKEYED.tx),
      [{ transactionId: UNKEYED.tx, jobIds: [UNKEYED.job], contentType: R4 }],
      'the row of before v48: no key',
    );
    const keyed = { transactionId: KEYED.tx, jobIds: [KEYED.job], contentType: R5, entries: 2, requestKey: 'k-routed' };
    t.same(await store.requestsOfTransaction(KEYED.tx), [keyed], 'the keyed row with its key');

    // after the upgrade, a forger repeats the keyed request's write under its id: its own row
    const forged = { ...keyed, requestKey: 'k-forged', entries: 3, contentType: R4 };
    const reads = [0, 1, 2].map((entry) => ({ entry, answer: { status: '200 OK' } }));
    await store.recordTransactionEntries({ transactionId: KEYED.tx, count: 3, entries: reads, requestKey: 'k-forged' });
    await store.recordTransactionRequest(forged);
    t.same(await store.requestsOfTransaction(KEYED.tx), [keyed, forged], 'kept apart from the routed row');

    const openhim = await openhimSandbox(t);
    for (const { tx, job } of ALL) {
      // core's copy as the previous release's envelope left it: the writes named, no request
      const properties = { [AWAITS_UPDATE_PROPERTY]: TEST_URN, [AWAITS_UPDATE_OF_PROPERTY]: writeTag(job) };
      const envelope = { status: 'Processing' as const, response: { status: 202 }, properties };
      openhim.state.transactions.set(tx, routedTransaction(tx, { method: 'POST', path: '/fhir' }, envelope));
      const end = { status: 'done' as const, result: { system: 'openlmis', ids: {} }, transactionUpdateDue: NOW };
      await store.finishJob(job, 'w', end, NOW);
    }
    const reporter = reporterFor(t, store, openhim.url);
    const updateOf = (tx: string) =>
      pollUntil(`the update of ${tx}`, async () => {
        await reporter.sweepOnce();
        return (openhim.state.transactionUpdates.get(tx) as SentUpdate[] | undefined)?.[0];
      });
    const shared = await updateOf(SHARED.tx);
    t.same(entryStatusesOf(shared), ['201 Created'], "shared: a Bundle of its write's answer, as that release sent");
    const unkeyed = await updateOf(UNKEYED.tx);
    t.equal(unkeyed.response?.status, 201, "no key: its write's own answer");
    t.equal(entryStatusesOf(unkeyed), undefined, 'no Bundle');
    const alone = await updateOf(ALONE.tx);
    t.same(entryStatusesOf(alone), ['201 Created', '200 OK'], 'keyed: the Bundle of its own map');
    t.match(
      (alone.response as { headers?: Record<string, string> }).headers,
      { 'Content-Type': /fhirVersion=5\.0/ },
      'in its release',
    );
    const both = await updateOf(KEYED.tx);
    // two rows with its writes and no request named by core: read as one shared row (their counts
    // differ: none), as that release would have kept them; never the forger's entries
    t.equal(both.response?.status, 201, "its write's own answer");
    t.equal(entryStatusesOf(both), undefined, "none of the forger's entries");
  });
}
