/**
 * A Bundle's entry map (store v24) and the OpenHIM update built from it. Store side, on SQLite and
 * (with TEST_DATABASE_URL) PostgreSQL: the map is recorded by recordWrites itself, all or nothing
 * with the jobs (a payload conflict records neither), each written entry naming the job that
 * answers it (a duplicate's: the job holding the key); a batch's answers recorded later keep the
 * rows its writes recorded. Update side: entries in the client's order, a secondary fan-out job
 * counted in the status but not listed, a batch cut off before its answer listed in full.
 */
import t from 'tap';
import { BATCH_ANSWER_WAIT_MS, stillAnswering } from '../../../src/openhim/transaction-update-sweep.js';
import { finalTransactionResponseOf } from '../../../src/openhim/transaction-updates.js';
import { PayloadConflict, type OutboxJob, type TransactionEntry } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TX = 'tx-bundle';
const created = { status: '201 Created', location: 'http://m/fhir/SupplyRequest/a' };

for (const engine of engineCases()) {
  t.test(`${engine.name}: the entry map is recorded with the writes`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.recordWrites([newJob('OLD', { idempotencyKey: 'key-dup' })], []);
    // entry 0 a GET, entries 1 and 2 one write (job 0), entry 3 a duplicate (job 1); job 2 a fan-out
    await store.recordWrites(
      [
        newJob('J0', { transactionId: TX }),
        newJob('J1', { transactionId: TX, idempotencyKey: 'key-dup' }),
        newJob('J2', { transactionId: TX, system: 'dhis2', idempotencyKey: 'key-J0|dhis2' }),
      ],
      [],
      {
        transactionId: TX,
        count: 4,
        entries: [
          { entry: 0, answer: { status: '200 OK' } },
          { entry: 1, job: 0, answer: created },
          { entry: 2, job: 0, answer: { ...created, location: 'http://m/fhir/SupplyRequest/b' } },
          { entry: 3, job: 1, answer: created },
        ],
      },
    );
    const rows = await store.entriesOfTransaction(TX);
    t.same(
      rows.map((r) => [r.entry, r.count, r.jobId, r.answer.status]),
      [
        [0, 4, undefined, '200 OK'],
        [1, 4, 'J0', '201 Created'],
        [2, 4, 'J0', '201 Created'],
        [3, 4, 'OLD', '201 Created'],
      ],
      'each written entry names the job answering it; the duplicate the job holding its key',
    );
    t.equal(rows[2].answer.location, 'http://m/fhir/SupplyRequest/b');

    // a batch's answers once it is answered: rows its writes recorded stay as they are
    await store.recordTransactionEntries({
      transactionId: TX,
      count: 4,
      entries: [0, 1, 2, 3].map((entry) => ({ entry, answer: { status: '202 Accepted' } })),
    });
    t.same(
      (await store.entriesOfTransaction(TX)).map((r) => [r.jobId, r.answer.status]),
      rows.map((r) => [r.jobId, r.answer.status]),
      'the first rows kept',
    );
  });

  t.test(`${engine.name}: a refused call records no map`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.recordWrites([newJob('HOLD', { idempotencyKey: 'key-taken', payloadHash: 'other' })], []);
    const call = store.recordWrites(
      [newJob('N0', { transactionId: 'tx-refused' }), newJob('N1', { idempotencyKey: 'key-taken' })],
      [],
      {
        transactionId: 'tx-refused',
        count: 2,
        entries: [
          { entry: 0, job: 0, answer: created },
          { entry: 1, job: 1, answer: created },
        ],
      },
    );
    await t.rejects(call, PayloadConflict);
    t.same(await store.entriesOfTransaction('tx-refused'), [], 'no entry without its jobs');
    t.equal(await store.getJob('N0'), undefined);
  });
}

const job = (id: string, over: Partial<OutboxJob>): OutboxJob =>
  ({ ...newJob(id, { transactionId: TX }), updatedAt: 2_000, ...over }) as OutboxJob;
const done = (id: string, system = 'openlmis') =>
  job(id, { status: 'done', system, result: { system, ids: { requisition: `r-${id}` } } });
const refused = (id: string, system: string) =>
  job(id, {
    status: 'rejected',
    system,
    error: {
      name: 'UpstreamError',
      status: 422,
      issues: [{ code: 'business-rule', diagnostics: `${system} refused` }],
    },
  });
const entry = (n: number, count: number, over: Partial<TransactionEntry> = {}): TransactionEntry => ({
  entry: n,
  count,
  answer: created,
  ...over,
});

t.test('the update follows the entries; a fan-out job counts but is no entry', async (t) => {
  const entries = [
    entry(0, 3, { answer: { status: '200 OK' } }),
    entry(1, 3, { jobId: 'W' }),
    entry(2, 3, { jobId: 'W', answer: { ...created, location: 'http://m/fhir/SupplyRequest/b' } }),
  ];
  const ok = finalTransactionResponseOf([done('W'), done('F', 'dhis2')], entries);
  const body = ok.body as { entry: { response: { status: string; location?: string; outcome?: unknown } }[] };
  t.equal(ok.mediatorStatus, 'Successful');
  t.same(
    body.entry.map((e) => [e.response.status, e.response.location]),
    [
      ['200 OK', undefined],
      ['201 Created', 'http://m/fhir/SupplyRequest/a'],
      ['201 Created', 'http://m/fhir/SupplyRequest/b'],
    ],
  );
  t.match(JSON.stringify(body.entry[1].response.outcome), /Delivered to openlmis \(requisition r-W\)/);

  const fanOutRefused = finalTransactionResponseOf([done('W'), refused('F', 'dhis2')], entries);
  t.equal(fanOutRefused.mediatorStatus, 'Completed with error(s)', 'the refused fan-out counts');
  t.equal((fanOutRefused.body as { entry: unknown[] }).entry.length, 3, 'but is no entry');

  const writeRefused = finalTransactionResponseOf([refused('W', 'openlmis'), done('F', 'dhis2')], entries);
  const refusedBody = writeRefused.body as { entry: { response: { status: string; outcome?: unknown } }[] };
  t.same(
    refusedBody.entry.map((e) => e.response.status),
    ['200 OK', '422', '422'],
    'both entries of the refused write',
  );
  t.match(JSON.stringify(refusedBody.entry[2].response.outcome), /openlmis refused/);
});

t.test('a batch cut off before its answer: every entry listed, the missing ones unanswered', async (t) => {
  const final = finalTransactionResponseOf([done('W')], [entry(1, 3, { jobId: 'W' })]);
  const body = final.body as { entry: { response: { status: string; outcome?: unknown } }[] };
  t.same(
    body.entry.map((e) => e.response.status),
    ['500', '201 Created', '500'],
  );
  t.match(JSON.stringify(body.entry[0].response.outcome), /Bundle\.entry\[0\] was never answered/);
  t.equal(final.mediatorStatus, 'Completed with error(s)');
});

t.test('a short map waits while its batch may still be answered', async (t) => {
  const jobs = [done('W')]; // created at 1,000, ended at 2,000
  const short = [entry(0, 2, { jobId: 'W' })];
  t.equal(stillAnswering(short, jobs, 2_000 + BATCH_ANSWER_WAIT_MS - 1), true);
  t.equal(stillAnswering(short, jobs, 2_000 + BATCH_ANSWER_WAIT_MS), false, 'not past the wait');
  t.equal(
    stillAnswering(short, [{ ...done('OLD'), createdAt: 0, updatedAt: 2_000 }], 2_000 + BATCH_ANSWER_WAIT_MS - 1),
    true,
    'counted from the last end too: a rerun answered from a job accepted long before',
  );
  t.equal(stillAnswering([...short, entry(1, 2)], jobs, 2_000), false, 'a full map does not wait');
  t.equal(stillAnswering([], jobs, 2_000), false, 'nor a transaction without a map');
});
