/**
 * Migration v46 (openhim-final-calls.ts): the end of a job owing its OpenHIM transaction an update
 * stores the calls of its final attempt in the same statement as the debt, so they survive a
 * restart; an end owing nothing stores none, and a job ended before v46 reads as it did. On both
 * engines, from a database written before v46; on PostgreSQL the ends go in one batched statement.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { inFlightJob } from '../../support/new-job.js';

const NOW = 1_700_000_000_000;
const TX = '65f0c0ffee0000000000c046';
const RERUN_TX = '65f0c0ffee0000000000d046';
const BARE_TX = '65f0c0ffee0000000000e046';
const ANSWERED_TX = '65f0c0ffee0000000000f046';
const OLD = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at,
  created_at, updated_at, transaction_id, openhim_update, openhim_update_due, openhim_update_attempts)
  VALUES ('old', 'stock', 'dhis2', 'stock|old', 'h', '{"id":"old"}', 'done', 0, 0, 0, '65f0c0ffee0000000000b046', 'owed', 0, 0)`;
const CALLS = [{ name: 'dhis2 POST /api/dataValueSets', request: { method: 'POST', path: '/api/dataValueSets' } }];
const RESULT = { system: 'dhis2', ids: { dataValueSet: 'imported' } };

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 46, OLD);
    /** The stored calls of job `id` as the update of `transactionId` is built from them. */
    const callsOf = async (id: string, transactionId: string) =>
      (await store.jobsOfTransaction(transactionId)).find((j) => j.id === id)?.openhimFinalCalls;
    t.ok((await store.migrationVersions()).includes(46), 'v46 applied');
    const old = await store.getJob('old');
    t.match(old, { status: 'done', transactionUpdate: { state: 'owed' } }, 'a debt from before v46 is kept');
    t.notOk(old && 'openhimFinalCalls' in old, 'with no calls stored');

    const at = { now: NOW - 5_000, leaseUntil: NOW + 60_000 };
    await store.recordWrite(inFlightJob('owing', 'w', at));
    await store.recordWrite({ ...inFlightJob('owing-bare', 'w', at), transactionId: BARE_TX });
    await store.recordWrite({ ...inFlightJob('answered', 'w', at), transactionId: ANSWERED_TX });
    await store.recordWrite({ ...inFlightJob('owing-tx', 'w', at), transactionId: TX });
    // an OpenHIM rerun answered 202 from the queued job: owed the same update, with the same calls
    t.equal(await store.oweRerunUpdate('owing', RERUN_TX, NOW - 4_000, 20), 'owed');
    // at once: on PostgreSQL one statement (finishJobs) for the four ends
    const ended = await Promise.all([
      store.finishJob(
        'owing',
        'w',
        { status: 'done', result: RESULT, transactionUpdateDue: NOW, openhimFinalCalls: JSON.stringify(CALLS) },
        NOW,
      ),
      store.finishJob('owing-bare', 'w', { status: 'done', result: RESULT, transactionUpdateDue: NOW }, NOW),
      store.finishJob(
        'owing-tx',
        'w',
        { status: 'done', result: RESULT, transactionUpdateDue: NOW, openhimFinalCalls: JSON.stringify(CALLS) },
        NOW,
      ),
      store.finishJob(
        'answered',
        'w',
        // no debt, so nothing of the calls is stored even if given
        { status: 'done', result: RESULT, openhimFinalCalls: JSON.stringify(CALLS) },
        NOW,
      ),
    ]);
    t.same(ended, [true, true, true, true]);
    const owing = await store.getJob('owing');
    t.match(owing, { transactionUpdate: { state: 'owed', dueAt: NOW } });
    t.same(await callsOf('owing', RERUN_TX), CALLS, 'the calls stored with the debt, read back as written');
    // up to 64 KiB a job: only the update's build reads them (job-columns.ts)
    for (const [what, jobs] of [
      ['getJob', [owing]],
      ['findJobsByKey', await store.findJobsByKey('stock|owing')],
      ['listJobs', await store.listJobs()],
      ['a replay of the write', [(await store.recordWrite(inFlightJob('owing', 'w', at))).job]],
    ] as const)
      t.notOk(
        jobs.some((j) => j && 'openhimFinalCalls' in j),
        `${what} reads no calls (${jobs.length} job(s))`,
      );
    t.notOk(await callsOf('owing-bare', BARE_TX), 'a debt without calls stores none');
    const bare = await store.getJob('owing-bare');
    t.match(bare, { transactionUpdate: { state: 'owed' } });
    const answered = await store.getJob('answered');
    t.notOk(answered?.transactionUpdate, 'an end owing nothing records no debt');
    t.notOk(await callsOf('answered', ANSWERED_TX), 'nor calls');

    const [claimed] = await store
      .claimTransactionUpdates(NOW + 1, 10, NOW + 10_000)
      .then((jobs) => jobs.filter((j) => j.id === 'owing'));
    t.ok(claimed && !('openhimFinalCalls' in claimed), "the sweep claims the job's debt without its calls");
    const [rerun] = (await store.claimRerunUpdates(NOW + 1, 10, NOW + 10_000)).filter((j) => j.id === 'owing');
    t.ok(rerun && !('openhimFinalCalls' in rerun), "and the rerun's debt");
    t.same(await callsOf('owing', RERUN_TX), CALLS, "the update's build reads the job with its calls");

    t.ok(await store.settleTransactionUpdate('owing', { state: 'sent' }));
    t.same(await callsOf('owing', RERUN_TX), CALLS, 'kept while the rerun still owes its update');
    t.ok(
      await store.settleRerunUpdate('owing', RERUN_TX, {
        state: 'owed',
        dueAt: NOW + 5_000,
        error: 'OpenHIM answered 503',
      }),
    );
    t.same(await callsOf('owing', RERUN_TX), CALLS, 'kept while it is retried');
    t.ok(await store.settleRerunUpdate('owing', RERUN_TX, { state: 'sent' }));
    t.notOk(await callsOf('owing', RERUN_TX), 'let go once no debt of the job is owed');

    t.equal(await store.settleTransactionUpdates(TX, { state: 'refused', error: 'OpenHIM answered 400' }, NOW), 1);
    const settled = await store.getJob('owing-tx');
    t.match(settled, { transactionUpdate: { state: 'refused' } });
    t.notOk(await callsOf('owing-tx', TX), "let go when its transaction's update settles");
  });
}
