/**
 * The per-job bound of rerun rows (RERUN_UPDATES_PER_JOB) bounds debts and 'answered' rows apart
 * (store v17): a settled job listed in many Bundle reruns ('answered', owing nothing) no longer
 * uses up the places its debts need once an operator retries it, and one left out of a rerun's
 * update past its own bound is logged, not silent. SQLite, and PostgreSQL with TEST_DATABASE_URL.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { RERUN_UPDATES_PER_JOB } from '../../../src/store/rerun-updates.js';
import type { Store } from '../../../src/store/types.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'dead-1', details: {} };
const BOUND = RERUN_UPDATES_PER_JOB;
const reruns = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

/** Job `id` recorded (its own transaction `tx-own`) and ended as `status`, or left pending. */
async function job(store: Store, id: string, status: 'dead' | 'done' | 'pending'): Promise<void> {
  await store.recordWrites(
    [
      {
        id,
        flow: 'order',
        system: 'openlmis',
        idempotencyKey: `key-${id}`,
        payloadHash: 'h',
        payload: { order: id },
        status: status === 'pending' ? 'pending' : 'in-flight',
        attempts: 1,
        nextAttemptAt: 1_000,
        ...(status === 'pending' ? {} : { leaseOwner: 'w', leaseUntil: 60_000 }),
        transactionId: 'tx-own',
        createdAt: 1_000,
      },
    ],
    [],
  );
  if (status === 'done') await store.finishJob(id, 'w', { status, result: { system: 'openlmis', ids: {} } }, 2_000);
  const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient' as const, diagnostics: '503' }] };
  if (status === 'dead') await store.finishJob(id, 'w', { status, error }, 2_000);
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('rows listing a settled job do not use up the places its debts need', async (t) => {
      const { store } = await freshStore(engine, t);
      await job(store, 'dead-1', 'dead');
      for (const tx of reruns(BOUND, 'tx-listed'))
        t.equal(await store.oweRerunUpdate('dead-1', tx, 3_000, BOUND), 'settled', `${tx}: listed, owing nothing`);
      t.equal(
        await store.oweRerunUpdate('dead-1', 'tx-listed-past', 3_000, BOUND),
        'unlisted',
        "past the bound of 'answered' rows: said so, not 'settled'",
      );
      t.ok(await store.requeueJob('dead-1', AUDIT, 4_000, 'dead'), 'an operator retries it');
      t.equal(
        await store.oweRerunUpdate('dead-1', 'tx-after-retry', 5_000, BOUND),
        'owed',
        "a resend after the retry is owed its update: the 'answered' rows took no place of it",
      );
      t.match(await store.listRerunUpdates('dead-1'), [{ transactionId: 'tx-after-retry', state: 'owed' }]);
    });

    t.test('debts are still bounded', async (t) => {
      const { store } = await freshStore(engine, t);
      await job(store, 'queued-1', 'pending');
      for (const tx of reruns(BOUND, 'tx-owed'))
        t.equal(await store.oweRerunUpdate('queued-1', tx, 3_000, BOUND), 'owed');
      t.equal(await store.oweRerunUpdate('queued-1', 'tx-owed-past', 3_000, BOUND), 'full');
      t.equal((await store.listRerunUpdates('queued-1')).length, BOUND);
    });

    t.test('a settled job left out of a Bundle rerun past the bound is logged', async (t) => {
      const { store } = await freshStore(engine, t);
      const { lines, logger } = capturingLogger();
      const outbox = new Outbox({
        store,
        logger,
        owesTransactionUpdate: (j) => j.transactionId !== undefined,
        options: { deadlineMs: 1_000, pollMs: 10 },
      });
      t.teardown(() => outbox.stop());
      outbox.register('order', 'openlmis', async (j) => ({
        system: 'openlmis',
        ids: { requisition: `req-${j.idempotencyKey}` },
      }));
      const write = (key: string, tx: string) => ({
        flow: 'order',
        system: 'openlmis',
        idempotencyKey: key,
        payload: { order: key },
        transactionId: tx,
      });
      const first = await outbox.acceptWrite(write('order-1', 'tx-own'));
      t.equal(first.kind, 'done');
      // a Bundle of order-1 and another order, rerun: order-1 is listed as answered each time
      for (const [i, tx] of reruns(BOUND + 1, 'tx-bundle').entries())
        await outbox.acceptWrites([write('order-1', tx), write(`order-${i + 2}`, tx)]);
      const warned = lines.filter((l) => l.level === 'warn' && /already listed in as many reruns/.test(l.msg ?? ''));
      t.match(warned, [{ obj: { jobId: first.jobId, transactionId: `tx-bundle-${BOUND + 1}`, bound: BOUND } }]);
      t.equal(warned.length, 1, 'only the one left out');
      const listed = (await store.jobsOfTransaction(`tx-bundle-${BOUND + 1}`)).map((j) => j.id);
      t.notOk(listed.includes(first.jobId), 'its update leaves it out, as the warning says');
      t.ok(
        (await store.jobsOfTransaction(`tx-bundle-${BOUND}`)).some((j) => j.id === first.jobId),
        'listed before',
      );
    });
  });
}
