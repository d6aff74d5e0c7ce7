/**
 * Migration v48 (request-keys.ts): each request under an OpenHIM transaction id keeps its own
 * Bundle entry map, and the request kept for the update names it. From a v47 database with a
 * routed Bundle's write in flight, its request and its map kept: both read back as before (no
 * key), the write ends owing its update, and that update is still built from its map. After it,
 * two requests' maps at the same positions are both kept, each under the key of the request it
 * was recorded in.
 */
import t from 'tap';
import { routedWritesOf } from '../../../src/openhim/routed-writes.js';
import { writeTag } from '../../../src/openhim/transaction-id.js';
import { createOrchestrationStore, requestKeyOf, runWithOrchestrations } from '../../../src/platform/call-recording.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const NOW = 1_700_000_000_000;
const TX = '65f0c0ffee0000000000c048';
const JOB = '0190c0de-0001-7000-8000-aaaaaaaaa048';
const TYPE = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
const V47 = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at,
  created_at, updated_at, transaction_id, lease_owner, lease_until, attempts)
  VALUES ('${JOB}', 'order', 'openlmis', 'order|v47', 'h', '{"id":"v47"}', 'in-flight', 0, 0, 0, '${TX}', 'w',
  ${NOW + 60_000}, 1);
INSERT INTO openhim_transaction_entries (transaction_id, entry, entries, job_id, answer, recorded_at)
  VALUES ('${TX}', 0, 2, NULL, '{"status":"200 OK"}', ${NOW}), ('${TX}', 1, 2, '${JOB}', '{"status":"201 Created"}', ${NOW});
INSERT INTO openhim_transaction_requests (transaction_id, writes, content_type, entries, recorded_at)
  VALUES ('${TX}', '${JOB}', '${TYPE}', 2, ${NOW});`;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 48, V47);
    t.ok((await store.migrationVersions()).includes(48), 'v48 applied');
    const requests = await store.requestsOfTransaction(TX);
    t.same(requests, [{ transactionId: TX, jobIds: [JOB], contentType: TYPE, entries: 2 }], 'the v47 request, no key');
    const map = await store.entriesOfTransaction(TX);
    t.same(
      map,
      [
        { entry: 0, count: 2, answer: { status: '200 OK' } },
        { entry: 1, count: 2, jobId: JOB, answer: { status: '201 Created' } },
      ],
      'its map as kept, no key',
    );
    await store.finishJob(
      JOB,
      'w',
      { status: 'done', result: { system: 'openlmis', ids: {} }, transactionUpdateDue: NOW },
      NOW,
    );
    const job = await store.getJob(JOB);
    t.match(job, { status: 'done', transactionUpdate: { state: 'owed' } }, 'the write in flight ends owing its update');
    t.same(
      routedWritesOf(TX, [job!], map, new Set([writeTag(JOB)]), requests),
      { kind: 'owed', jobs: [job], entries: map, foreign: [], contentType: TYPE },
      'its update built from its map, as before v48',
    );

    // after v48: a forged Bundle of reads first, then the routed one, at the same positions
    const TX2 = '65f0c0ffee0000000000d048';
    const reads = {
      transactionId: TX2,
      count: 2,
      entries: [0, 1].map((entry) => ({ entry, answer: { status: '200 OK' } })),
    };
    const forged = createOrchestrationStore();
    await runWithOrchestrations(() => store.recordTransactionEntries(reads), forged);
    const routed = createOrchestrationStore();
    const written = { ...reads, entries: [reads.entries[0], { entry: 1, answer: { status: '201 Created' } }] };
    await runWithOrchestrations(() => store.recordTransactionEntries(written), routed);
    await store.recordTransactionEntries(reads); // outside a request: no key
    const kept = await store.entriesOfTransaction(TX2);
    t.equal(kept.length, 6, "each request's map kept whole");
    const keyOf = (status: string) => kept.find((e) => e.entry === 1 && e.answer.status === status)?.requestKey;
    t.equal(keyOf('201 Created'), requestKeyOf(routed), 'under the key of the request it was recorded in');
    t.same(
      kept.filter((e) => e.requestKey === requestKeyOf(forged)).map((e) => e.answer.status),
      ['200 OK', '200 OK'],
      "the forged request's own",
    );
    await store.recordTransactionRequest({ transactionId: TX2, jobIds: [JOB], requestKey: requestKeyOf(routed) });
    t.same(
      await store.requestsOfTransaction(TX2),
      [{ transactionId: TX2, jobIds: [JOB], requestKey: requestKeyOf(routed), apart: true }],
      'a request kept with its key reads it back',
    );
  });
}
