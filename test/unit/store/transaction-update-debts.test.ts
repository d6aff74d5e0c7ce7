/**
 * Store side of the OpenHIM transaction updates a job's end may owe (migration v16), on SQLite and
 * (with TEST_DATABASE_URL) PostgreSQL: the debt is written by the end's own statement and only
 * when the lease held the job, also in a PostgreSQL batch mixing ends that owe and ends that do
 * not; a sweep claims only settled jobs whose debt is due, each once; an answer is recorded only
 * while the debt is still owed.
 */
import t from 'tap';
import type { WriteResult } from '../../../src/routing/ports.js';
import type { StoredError } from '../../../src/store/index.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };
const ERROR: StoredError = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };

/** A job a worker has claimed (lease owner A), from an OpenHIM transaction. */
const inFlight = (id: string) =>
  newJob(id, { status: 'in-flight', attempts: 1, leaseOwner: 'A', leaseUntil: 99_000, transactionId: `tx-${id}` });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('ends of one turn: each records its own debt, a lost lease none', async (t) => {
      const { store } = await freshStore(engine, t);
      const ids = ['D0', 'D1', 'D2', 'D3', 'D4'];
      await store.recordWrites(ids.map(inFlight), []);
      const finished = await Promise.all([
        store.finishJob('D0', 'A', { status: 'done', result: RESULT, transactionUpdateDue: 7_000 }, 5_000),
        store.finishJob('D1', 'A', { status: 'done', result: RESULT }, 5_000),
        store.finishJob(
          'D2',
          'A',
          {
            status: 'dead',
            error: ERROR,
            audit: { actor: 'outbox', action: 'outbox.dead-letter', subject: 'D2' },
            transactionUpdateDue: 8_000,
          },
          5_000,
        ),
        store.finishJob('D3', 'B', { status: 'done', result: RESULT, transactionUpdateDue: 7_000 }, 5_000),
        store.finishJob('D4', 'A', { status: 'rejected', error: ERROR, transactionUpdateDue: 9_000 }, 5_000),
      ]);
      t.same(finished, [true, true, true, false, true]);
      const debts = await Promise.all(ids.map(async (id) => (await store.getJob(id))?.transactionUpdate));
      t.same(debts, [
        { state: 'owed', dueAt: 7_000, attempts: 0 },
        undefined,
        { state: 'owed', dueAt: 8_000, attempts: 0 },
        undefined,
        { state: 'owed', dueAt: 9_000, attempts: 0 },
      ]);
      t.equal((await store.listAudit({ subject: 'D2' })).length, 1, 'the audited end kept its audit');
    });

    t.test('a sweep claims settled debts that are due, oldest debt first, each once', async (t) => {
      const { store } = await freshStore(engine, t);
      await store.recordWrites(['C0', 'C1', 'C2', 'C3'].map(inFlight), []);
      await store.finishJob('C0', 'A', { status: 'done', result: RESULT, transactionUpdateDue: 6_000 }, 5_000);
      await store.finishJob('C1', 'A', { status: 'done', result: RESULT, transactionUpdateDue: 5_500 }, 5_000);
      await store.finishJob('C2', 'A', { status: 'done', result: RESULT, transactionUpdateDue: 20_000 }, 5_000);
      // owed, then sent back to pending by an operator's retry: not settled, so not reported yet
      await store.finishJob('C3', 'A', { status: 'dead', error: ERROR, transactionUpdateDue: 5_000 }, 5_000);
      await store.requeueJob('C3', { actor: 'test', action: 'outbox.retry', subject: 'C3' }, 5_100);

      const claimed = await store.claimTransactionUpdates(10_000, 10, 40_000);
      t.same(claimed.map((j) => j.id).sort(), ['C0', 'C1'], 'the due ones, not the one due later nor the pending one');
      t.same(await store.claimTransactionUpdates(10_000, 10, 40_000), [], 'claimed ones wait for their claim to end');
      t.match((await store.getJob('C0'))?.transactionUpdate, { state: 'owed', dueAt: 40_000 });
      t.same(
        await store.claimTransactionUpdates(41_000, 1, 60_000).then((js) => js.map((j) => j.id)),
        ['C2'],
        'the oldest debt first: due later, but before the claims that ran out; the limit holds',
      );
    });

    t.test('an answer is recorded only while the debt is owed', async (t) => {
      const { store } = await freshStore(engine, t);
      await store.recordWrites([inFlight('S0'), inFlight('S1')], []);
      await store.finishJob('S0', 'A', { status: 'done', result: RESULT, transactionUpdateDue: 6_000 }, 5_000);
      await store.finishJob('S1', 'A', { status: 'done', result: RESULT }, 5_000);
      t.equal(
        await store.settleTransactionUpdate('S0', { state: 'owed', dueAt: 9_000, error: 'OpenHIM answered 503' }),
        true,
      );
      t.same((await store.getJob('S0'))?.transactionUpdate, {
        state: 'owed',
        dueAt: 9_000,
        attempts: 1,
        lastError: 'OpenHIM answered 503',
      });
      t.equal(await store.settleTransactionUpdate('S0', { state: 'sent' }), true);
      t.same((await store.getJob('S0'))?.transactionUpdate, { state: 'sent', attempts: 2 });
      t.equal(
        await store.settleTransactionUpdate('S0', { state: 'owed', dueAt: 10_000, error: 'late answer' }),
        false,
        'a late answer to a repeated send does not bring a sent debt back',
      );
      t.same((await store.getJob('S0'))?.transactionUpdate, { state: 'sent', attempts: 2 });
      t.equal(await store.settleTransactionUpdate('S1', { state: 'sent' }), false, 'nothing owed, nothing recorded');
      t.equal((await store.getJob('S1'))?.transactionUpdate, undefined);
    });
  });
}
