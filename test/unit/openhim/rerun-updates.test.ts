/**
 * Every OpenHIM transaction answered 202 for a job gets its update, not only the job's first: an
 * OpenHIM rerun (a new transaction id over the same stored request) or a client's resend, answered
 * from the job still queued, is owed the job's final state as well (store migration v17), on
 * SQLite and (with TEST_DATABASE_URL) PostgreSQL. One that arrives after the job settled gets the
 * settled answer at once and is owed nothing; a process that dies before sending leaves both to
 * the next process's sweep; the debts kept per job are bounded.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { OutboxLogger } from '../../../src/outbox/types.js';
import { RERUN_UPDATES_PER_JOB } from '../../../src/store/rerun-updates.js';
import { openStore, type Store } from '../../../src/store/index.js';
import type { OutboxJob } from '../../../src/store/types.js';
import type { OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import {
  openhimSandbox,
  outboxFailingOnce,
  pollUntil,
  reporterFor,
  txId,
} from '../../support/transaction-update-rig.js';

/** The OpenHIM transactions these tests send through, as core keeps them once answered 202 (txId). */
const TRANSACTIONS = ['tx-0', 'tx-1', 'tx-late', 'tx-original', 'tx-rerun', 'tx-storm'];

const PAYLOAD = { order: 'o-1', lines: 2 };

/** The same write through OpenHIM under transaction `tx` (the worker not started: it stays queued). */
const send = (outbox: Outbox, tx: string) =>
  outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: 'order-o-1',
    payload: PAYLOAD,
    transactionId: tx,
    deadlineMs: 50,
  });

/** The original and one rerun, both to be answered 202 while the job is queued. */
async function originalAndRerun(outbox: Outbox): Promise<{ jobId: string; answers: unknown[] }> {
  const original = await send(outbox, txId('tx-original'));
  const rerun = await send(outbox, txId('tx-rerun'));
  return { jobId: original.jobId, answers: [original.kind, rerun.kind === 'duplicate' && rerun.previous.kind] };
}

const BOTH_202 = ['queued', 'queued'];

async function settledJob(store: Store, id: string): Promise<OutboxJob> {
  return pollUntil('the job to be delivered', async () => {
    const job = await store.getJob(id);
    return job?.status === 'done' ? job : undefined;
  });
}

const updatesOf = (openhim: OpenHimSandbox, tx: string) =>
  (openhim.state.transactionUpdates.get(tx) ?? []) as { status?: string; response?: { status?: number } }[];
const putsOf = (openhim: OpenHimSandbox, tx: string) =>
  openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('original and rerun both answered 202: each updated once when the job settles', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      const reporter = reporterFor(t, store, openhim.url);
      reporter.start();
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job) });
      const { jobId, answers } = await originalAndRerun(outbox);
      t.same(answers, BOTH_202, 'both answered 202 from the same job');
      t.equal(putsOf(openhim, txId('tx-rerun')).length, 0, 'nothing sent while the job is queued');
      outbox.startWorker();
      await settledJob(store, jobId);
      for (const tx of [txId('tx-original'), txId('tx-rerun')])
        await pollUntil(`the update of ${tx}`, () => updatesOf(openhim, tx).length > 0);
      await new Promise((r) => setTimeout(r, 150)); // several sweep periods
      for (const tx of [txId('tx-original'), txId('tx-rerun')]) {
        t.match(updatesOf(openhim, tx), [{ status: 'Successful', response: { status: 201 } }], `${tx}: final state`);
        t.equal(putsOf(openhim, tx).length, 1, `${tx}: sent once`);
      }
      t.equal(await reporter.sweepOnce(), 0, 'nothing left owed');
    });

    t.test('a rerun after the job settled gets the settled answer at once, and nothing is owed', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store } = await freshStore(engine, t);
      const reporter = reporterFor(t, store, openhim.url);
      const outbox = outboxFailingOnce(t, store, { onSettled: (job) => reporter.report(job) });
      const first = await send(outbox, txId('tx-original'));
      outbox.startWorker();
      await settledJob(store, first.jobId);
      await outbox.idle();
      const late = await send(outbox, txId('tx-late'));
      t.match(late, { kind: 'duplicate', previous: { kind: 'done', result: { ids: { requisition: 'req-1' } } } });
      t.equal(await store.oweRerunUpdate(first.jobId, txId('tx-late'), Date.now(), RERUN_UPDATES_PER_JOB), 'settled');
      await reporter.sweepOnce();
      t.equal(putsOf(openhim, txId('tx-late')).length, 0, 'no update sent: the answer was final');
    });

    t.test('the job settles between the wait and the debt: the rerun is answered with that end', async (t) => {
      const { store } = await freshStore(engine, t);
      // the job settles in the moment between the rerun's wait (a 202) and its debt being recorded
      const racing = new Proxy(store, {
        get(target, prop, receiver) {
          if (prop === 'oweRerunUpdate')
            return async (...args: Parameters<Store['oweRerunUpdate']>) => {
              outbox.startWorker(); // set below, before any request
              await settledJob(target, args[0]);
              return target.oweRerunUpdate(...args);
            };
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const outbox = outboxFailingOnce(t, racing);
      await send(outbox, txId('tx-original'));
      const rerun = await send(outbox, txId('tx-rerun'));
      t.match(rerun, { kind: 'duplicate', previous: { kind: 'done' } }, 'not a 202 nothing would mend');
      t.same(await store.claimRerunUpdates(Date.now(), 10, Date.now() + 60_000), [], 'and nothing owed');
    });

    t.test('the process dies after the job ended: a fresh store sweeps both updates once', async (t) => {
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      const { store, databaseUrl } = await freshStore(engine, t);
      // the first process ends the job and dies before any update reaches OpenHIM
      const dying = outboxFailingOnce(t, store, { onSettled: () => undefined });
      const { jobId, answers } = await originalAndRerun(dying);
      t.same(answers, BOTH_202, 'both answered 202 from the same job');
      dying.startWorker();
      await settledJob(store, jobId);
      await dying.stop();
      t.equal(openhim.state.calls.length, 0, 'OpenHIM has heard nothing: both transactions are Processing');

      const again = await openStore({ databaseUrl });
      t.teardown(() => again.close());
      const reporter = reporterFor(t, again, openhim.url);
      reporter.start();
      for (const tx of [txId('tx-original'), txId('tx-rerun')])
        await pollUntil(`the update of ${tx}`, () => updatesOf(openhim, tx).length > 0);
      await new Promise((r) => setTimeout(r, 150));
      for (const tx of [txId('tx-original'), txId('tx-rerun')])
        t.equal(putsOf(openhim, tx).length, 1, `${tx}: sent once`);
      t.equal(await reporter.sweepOnce(), 0, 'nothing left owed');
    });

    t.test('the debts kept per job are bounded; the same transaction is owed once', async (t) => {
      const { store } = await freshStore(engine, t);
      const warnings: string[] = [];
      const logger: OutboxLogger = {
        info: () => undefined,
        error: () => undefined,
        warn: (_o, m) => warnings.push(String(m)),
      };
      const outbox = outboxFailingOnce(t, store, { logger });
      const first = await send(outbox, txId('tx-0'));
      const now = Date.now();
      t.equal(
        await store.oweRerunUpdate(first.jobId, txId('tx-0'), now, RERUN_UPDATES_PER_JOB),
        'own',
        "the job's own",
      );
      for (let i = 1; i <= RERUN_UPDATES_PER_JOB; i++)
        t.equal(await store.oweRerunUpdate(first.jobId, txId(`tx-${i}`), now, RERUN_UPDATES_PER_JOB), 'owed');
      t.equal(
        await store.oweRerunUpdate(first.jobId, txId('tx-1'), now, RERUN_UPDATES_PER_JOB),
        'owed',
        'a repeat: owed once',
      );
      const past = await send(outbox, txId('tx-storm'));
      t.equal(past.kind === 'duplicate' && past.previous.kind, 'queued', 'past the bound: still answered 202');
      // the first delivery's transient failure is warned too (outbox/delivery-log.ts)
      t.equal(warnings.filter((m) => /as many reruns as it keeps/.test(m)).length, 1, 'and the operator is told');
      t.equal(await store.oweRerunUpdate(first.jobId, txId('tx-storm'), now, RERUN_UPDATES_PER_JOB), 'full');
      // the job settles: exactly the bounded set is sent, each once
      outbox.startWorker();
      await settledJob(store, first.jobId);
      const claimed = await store.claimRerunUpdates(Date.now(), 100, Date.now() + 60_000);
      t.same(
        claimed.map((j) => j.transactionId).sort(),
        Array.from({ length: RERUN_UPDATES_PER_JOB }, (_, i) => txId(`tx-${i + 1}`)).sort(),
        'every rerun kept, none past the bound, claimed as the job with its transaction',
      );
      t.ok(claimed.every((j) => j.id === first.jobId && j.status === 'done' && j.transactionUpdate?.state === 'owed'));
      t.same(await store.claimRerunUpdates(Date.now(), 100, Date.now() + 60_000), [], 'claimed: not claimed again');
    });
  });
}
