/**
 * Retention of finished work (Store.pruneFinished, migration v27), on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL: an old done or refused job goes with every row kept for it
 * (attempts, journal, idempotency key, rerun rows, its transaction's entry map); a fresh one, a
 * waiting or dead-lettered one, one owing an OpenHIM update, one whose transaction is still live
 * and one a resource link names stay (a linked done one losing its attempts and journal); a batch examines at most its limit and the next starts
 * after it; a resend of a recent done write is still answered from its job.
 */
import t from 'tap';
import type { WriteResult } from '../../../src/routing/ports.js';
import type { JobAttempt, StoredError, Store } from '../../../src/store/index.js';
import type { PruneResult } from '../../../src/store/retention.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };
const ERROR: StoredError = { name: 'UpstreamError', status: 422, issues: [{ code: 'invalid', diagnostics: 'no' }] };
/** Jobs old enough end at 5,000; the cutoff is 10,000; fresh ones end at 20,000. */
const OLD = 5_000;
const CUTOFF = 10_000;
const FRESH = 20_000;

const inFlight = (id: string, transactionId?: string) =>
  newJob(id, { status: 'in-flight', attempts: 1, leaseOwner: 'A', leaseUntil: 99_000, transactionId });

const attempt = (jobId: string, endedAt: number): JobAttempt => ({
  jobId,
  startedAt: endedAt - 10,
  endedAt,
  attempt: 1,
  outcome: 'done',
});

/** A job accepted, journalled and ended done at `at` (with its attempt). */
async function done(store: Store, id: string, at: number, over: { transactionId?: string; owes?: boolean } = {}) {
  await store.recordWrites([inFlight(id, over.transactionId)], []);
  await store.putStep(id, 'initiate', { id: 'r' }, at - 5);
  await store.finishJob(
    id,
    'A',
    { status: 'done', result: RESULT, ...(over.owes ? { transactionUpdateDue: at } : {}) },
    at,
    attempt(id, at),
  );
}

/** Everything the store keeps of job `id`, as the API reads it. */
async function traces(store: Store, id: string) {
  return {
    job: (await store.getJob(id)) !== undefined,
    attempts: (await store.listJobAttempts(id)).length,
    steps: (await store.listSteps(id)).length,
  };
}

async function pruneAll(store: Store, before: number, limit = 100): Promise<PruneResult[]> {
  const batches: PruneResult[] = [];
  let after: PruneResult['last'];
  for (;;) {
    const r = await store.pruneFinished({ before, limit, ...(after ? { after } : {}) });
    batches.push(r);
    if (r.examined < limit && r.jobRuns < limit) return batches;
    after = r.last ?? after;
  }
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('an old finished job goes with its rows; what is still needed stays', async (t) => {
      const { store } = await freshStore(engine, t);
      t.ok((await store.migrationVersions()).includes(27), 'v27 applied');
      await done(store, 'OLD', OLD, { transactionId: 'tx-old' });
      await store.recordTransactionEntries({
        transactionId: 'tx-old',
        count: 2,
        entries: [{ entry: 1, answer: { status: '200 OK' } }],
      });
      await store.recordWrites([inFlight('REFUSED')], []);
      await store.finishJob('REFUSED', 'A', { status: 'rejected', error: ERROR }, OLD, attempt('REFUSED', OLD));
      // an update owed then sent: nothing is owed any more
      await done(store, 'SENT', OLD, { transactionId: 'tx-sent', owes: true });
      t.ok(await store.settleTransactionUpdate('SENT', { state: 'sent' }));
      // a settled job another request (a Bundle resent through OpenHIM) was answered from
      await done(store, 'ANSWERED', OLD);
      t.equal(await store.oweRerunUpdate('ANSWERED', 'tx-resent', OLD, 20), 'settled');
      await store.recordTransactionEntries({
        transactionId: 'tx-resent',
        count: 2,
        entries: [{ entry: 0, answer: { status: '200 OK' } }],
      });

      await done(store, 'FRESH', FRESH);
      await store.recordWrite(newJob('WAITING'));
      await store.recordWrites([inFlight('DEAD')], []);
      await store.finishJob('DEAD', 'A', { status: 'dead', error: ERROR }, OLD);
      await done(store, 'OWED', OLD, { transactionId: 'tx-owed', owes: true });
      // a job a resource link names: what a read of that FHIR id serves
      await done(store, 'LINKED', OLD);
      await store.recordWrites([inFlight('LINKED-REFUSED')], []);
      await store.finishJob(
        'LINKED-REFUSED',
        'A',
        { status: 'rejected', error: ERROR },
        OLD,
        attempt('LINKED-REFUSED', OLD),
      );
      await store.putLinks([
        { flow: 'stock', fhirId: 'report-1', system: 'openlmis', jobId: 'LINKED' },
        { flow: 'stock', fhirId: 'report-2', system: 'openlmis', jobId: 'LINKED-REFUSED' },
      ]);
      // one job of a transaction whose other job still waits: its update is yet to be built
      await done(store, 'SIBLING', OLD, { transactionId: 'tx-live' });
      await store.recordWrite(newJob('SIBLING-2', { transactionId: 'tx-live' }));
      // a job owing a rerun of its request an update
      await store.recordWrites([inFlight('RERUN')], []);
      t.equal(await store.oweRerunUpdate('RERUN', 'tx-rerun', OLD - 100, 20), 'owed');
      await store.finishJob('RERUN', 'A', { status: 'done', result: RESULT }, OLD);

      // the requests kept under the transactions (v50's table): they go with the last job
      for (const [transactionId, job] of [
        ['tx-old', 'OLD'],
        ['tx-live', 'SIBLING'],
      ])
        await store.recordTransactionRequest({ transactionId, jobIds: [job], requestKey: `k-${job}` });

      const batches = await pruneAll(store, CUTOFF);
      const total = (k: keyof PruneResult) => batches.reduce((n, b) => n + Number(b[k] ?? 0), 0);
      t.same(await store.requestsOfTransaction('tx-old'), [], "OLD's transaction's request went");
      t.equal((await store.requestsOfTransaction('tx-live')).length, 1, 'a transaction with a job left keeps its own');
      t.equal(total('jobs'), 4, 'OLD, REFUSED, SENT and ANSWERED went');
      t.equal(total('keys'), 4, 'with their keys');
      t.equal(total('attempts'), 5, "their attempts, and the kept LINKED job's");
      t.equal(total('steps'), 4, "their journal, and LINKED's");
      t.equal(total('reruns'), 1, "ANSWERED's rerun row");
      t.equal(total('entries'), 2, "the entry maps of OLD's transaction and of the one answered from ANSWERED");

      for (const id of ['OLD', 'REFUSED', 'SENT', 'ANSWERED'])
        t.same(await traces(store, id), { job: false, attempts: 0, steps: 0 }, `${id} left nothing`);
      t.same(await store.entriesOfTransaction('tx-old'), []);
      t.same(await store.entriesOfTransaction('tx-resent'), []);
      for (const id of [
        'FRESH',
        'WAITING',
        'DEAD',
        'OWED',
        'LINKED',
        'LINKED-REFUSED',
        'SIBLING',
        'SIBLING-2',
        'RERUN',
      ])
        t.ok(await store.getJob(id), `${id} stays`);
      t.same(
        await traces(store, 'LINKED'),
        { job: true, attempts: 0, steps: 0 },
        'a linked done job loses its history',
      );
      t.same(
        await traces(store, 'LINKED-REFUSED'),
        { job: true, attempts: 1, steps: 0 },
        'a linked refused one keeps it',
      );
      t.same(await traces(store, 'FRESH'), { job: true, attempts: 1, steps: 1 }, 'a fresh one keeps it');
      t.same(
        (await store.listRerunUpdates('RERUN')).map((r) => r.state),
        ['owed'],
      );
      t.equal((await store.countJobsByStatus()).done, 5, 'FRESH, OWED, LINKED, SIBLING, RERUN and no other done');

      // a resend of the recent done write is still answered from its job, writing nothing
      const resent = await store.recordWrite(newJob('FRESH-again', { idempotencyKey: 'key-FRESH' }));
      t.same([resent.created, resent.job.id, resent.job.status], [false, 'FRESH', 'done']);
      // one past the retention is a new write: its key went with its job
      const late = await store.recordWrite(newJob('OLD-again', { idempotencyKey: 'key-OLD' }));
      t.same([late.created, late.job.id], [true, 'OLD-again']);
    });

    t.test('a batch examines at most its limit; the next starts after it, past jobs kept', async (t) => {
      const { store } = await freshStore(engine, t);
      // the two oldest are kept (linked): the batches must get past them, not stop at them
      for (let i = 0; i < 7; i++) await done(store, `J${i}`, OLD + i);
      await store.putLinks([
        { flow: 'stock', fhirId: 'a', system: 'openlmis', jobId: 'J0' },
        { flow: 'stock', fhirId: 'b', system: 'openlmis', jobId: 'J1' },
      ]);
      const batches = await pruneAll(store, CUTOFF, 3);
      t.same(
        batches.map((b) => [b.examined, b.jobs]),
        [
          [3, 1],
          [3, 3],
          [1, 1],
        ],
        'three batches of at most 3',
      );
      t.same((await store.listJobs({})).map((j) => j.id).sort(), ['J0', 'J1']);
      t.same(batches.at(-1)?.last, { updatedAt: OLD + 6, id: 'J6' });
    });

    t.test('job runs older than the cutoff go, each job keeping its latest', async (t) => {
      const { store } = await freshStore(engine, t);
      const run = async (name: string, startedAt: number) => {
        const r = await store.startJobRun({ name, trigger: 'manual', startedAt });
        await store.finishJobRun(r!.id, { endedAt: startedAt + 1, outcome: 'ok' });
      };
      await run('reconcile', 1_000);
      await run('reconcile', 2_000);
      await run('reconcile', FRESH);
      await run('propagate', 1_000);
      await store.startJobRun({ name: 'stockToDhis2', trigger: 'manual', startedAt: 1_000 });
      await run('stockToDhis2', 3_000);
      const [batch] = await pruneAll(store, CUTOFF);
      t.equal(batch.jobRuns, 2);
      t.same(
        (await store.listJobRuns('reconcile')).map((r) => r.startedAt),
        [FRESH],
      );
      t.same(
        (await store.listJobRuns('propagate')).map((r) => r.startedAt),
        [1_000],
        'the latest run stays',
      );
      t.same(
        (await store.listJobRuns('stockToDhis2')).map((r) => [r.startedAt, r.outcome]),
        [
          [3_000, 'ok'],
          [1_000, 'running'],
        ],
        'a run still running stays',
      );
    });
  });
}
