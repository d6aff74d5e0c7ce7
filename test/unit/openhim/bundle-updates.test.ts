/**
 * One OpenHIM transaction, several outbox jobs (a FHIR transaction Bundle; a write fanned out to
 * secondary systems): OpenHIM gets ONE update, once every job has settled, built from all of them
 * (a transaction-response Bundle of each write's final answer) with the status OpenHIM gives such a
 * whole. Before, each job owing an update PUT its own, each overwriting the transaction's status
 * and response: OpenHIM showed whichever settled last. Through the OpenHIM sandbox, on SQLite and
 * (with TEST_DATABASE_URL) PostgreSQL, including a process that dies between the jobs' ends. Also:
 * a send never outlives its claim (openhim.updateClaimMs), so a sweep cannot send a debt still
 * being sent.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import {
  createTransactionReporter,
  type TransactionUpdateTimings,
} from '../../../src/openhim/transaction-update-sweep.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { DeliveryHandler } from '../../../src/outbox/types.js';
import { openStore, type Store } from '../../../src/store/index.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { DEFAULT_OPENHIM_USER, type OpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { engineCases, freshStore, type EngineCase } from '../../support/outbox-engines.js';
import {
  entryStatusesOf,
  FAST_UPDATE_TIMINGS,
  openhimSandbox,
  pollUntil,
  sandboxUpdater,
  txId,
  type SentUpdate,
} from '../../support/transaction-update-rig.js';

/** The OpenHIM transactions these tests send through, as core keeps them once answered 202 (txId). */
const TRANSACTIONS = ['tx-alone', 'tx-bundle', 'tx-crash', 'tx-mixed', 'tx-mixed-2', 'tx-rerun', 'tx-run', 'tx-slow'];

type Teardown = { teardown(fn: () => unknown): void };

/** Sends under way at once in this process, and the most ever. */
const sends = { now: 0, most: 0 };

function reporterFor(
  t: Teardown,
  store: Store,
  openhim: OpenHimSandbox,
  timings: Partial<TransactionUpdateTimings> = {},
) {
  const updater = sandboxUpdater(openhim.url);
  const reporter = createTransactionReporter({
    store,
    send: async (job, send) => {
      sends.most = Math.max(sends.most, ++sends.now);
      try {
        return await updater(job, send);
      } finally {
        sends.now -= 1;
      }
    },
    timings: { ...FAST_UPDATE_TIMINGS, ...timings },
  });
  t.teardown(() => reporter.stop());
  return reporter;
}

/** An outbox over `store` whose OpenLMIS and DHIS2 deliveries are the given handlers. */
function outboxFor(
  t: Teardown,
  store: Store,
  handlers: { openlmis: DeliveryHandler; dhis2: DeliveryHandler },
  onSettled?: (job: OutboxJob) => Promise<void> | void,
  lease: { leaseMs: number; attemptTimeoutMs: number } = { leaseMs: 10_000, attemptTimeoutMs: 5_000 },
): Outbox {
  const outbox = new Outbox({
    store,
    onSettled,
    owesTransactionUpdate: (job) => job.transactionId !== undefined,
    transactionUpdateGraceMs: 2_000,
    options: {
      deadlineMs: 200,
      pollMs: 10,
      settleMs: 10,
      ...lease,
      backoff: { baseMs: 5, capMs: 10, maxAttempts: 3 },
    },
  });
  outbox.register('order', 'openlmis', handlers.openlmis);
  outbox.register('order', 'dhis2', handlers.dhis2);
  t.teardown(() => outbox.stop(0));
  return outbox;
}

const transient = (system: string) =>
  new UpstreamError({ system, transient: true, diagnostics: `${system} answered 503` });

/** Fails transiently on the first call (the client is answered 202), then does `then`. */
function afterA503(system: string, then: () => Promise<{ system: string; ids: Record<string, string> }>) {
  let calls = 0;
  return async () => {
    if (calls++ === 0) throw transient(system);
    return then();
  };
}

/**
 * The Bundle's two writes, both through OpenHIM transaction `tx`; with `transactionId`, the same
 * writes (their business keys) sent again through another (OpenHIM's rerun of the stored Bundle).
 */
function bundle(outbox: Outbox, tx: string, transactionId = tx) {
  return outbox.acceptWrites([
    { flow: 'order', system: 'openlmis', idempotencyKey: `${tx}-a`, payload: { line: 'a' }, transactionId },
    { flow: 'order', system: 'dhis2', idempotencyKey: `${tx}-b`, payload: { line: 'b' }, transactionId },
  ]);
}

/** A store of this engine, the OpenHIM sandbox, and a reporter sending the store's updates to it. */
async function reportingRig(t: Teardown, engine: EngineCase) {
  const { store, databaseUrl } = await freshStore(engine, t);
  const openhim = await openhimSandbox(t, TRANSACTIONS);
  return { store, databaseUrl, openhim, reporter: reporterFor(t, store, openhim) };
}

/** A promise and the function that resolves it: a delivery held until the test lets it go on. */
function gate(): [Promise<void>, () => void] {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return [released, release];
}

/** DHIS2's delivery: 503 on the first call (the client is answered 202), then a 409 once `released`. */
const dhis2RefusesOnce = (released: Promise<void>, diagnostics: string) =>
  afterA503('dhis2', async () => {
    await released;
    throw new UpstreamError({ system: 'dhis2', transient: false, status: 409, diagnostics });
  });

/** This file's waits allow 15 s (the rig's default is 10 s). */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => pollUntil(what, probe, 15_000);

type Update = SentUpdate;
const updatesOf = (openhim: OpenHimSandbox, tx: string) => (openhim.state.transactionUpdates.get(tx) ?? []) as Update[];
const putsOf = (openhim: OpenHimSandbox, tx: string) =>
  openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);
const entriesOf = entryStatusesOf;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a Bundle whose writes end apart: one update, after the last, with both answers', async (t) => {
      const { store, openhim, reporter } = await reportingRig(t, engine);
      const [dhis2Refuses, releaseDhis2] = gate();
      const outbox = outboxFor(
        t,
        store,
        {
          openlmis: afterA503('openlmis', async () => ({ system: 'openlmis', ids: { requisition: 'req-1' } })),
          dhis2: dhis2RefusesOnce(dhis2Refuses, 'DHIS2 refused the event'),
        },
        (job) => reporter.report(job),
      );
      const answers = await bundle(outbox, txId('tx-bundle'));
      t.same(
        answers.map((a) => a.kind),
        ['queued', 'queued'],
        'both writes answered 202: the transaction is Processing',
      );
      outbox.startWorker();
      reporter.start(); // as in the mediator: the ending process's report, and the sweep
      const [a, b] = answers.map((x) => (x as { jobId: string }).jobId);
      await until('the OpenLMIS write delivered', async () => (await store.getJob(a))?.status === 'done');
      await until('the DHIS2 retry under way', async () => (await store.getJob(b))?.attempts === 2);
      await new Promise((r) => setTimeout(r, 100));
      t.equal(putsOf(openhim, txId('tx-bundle')).length, 0, 'nothing sent while the DHIS2 write is still going');

      releaseDhis2();
      await until('the update', () => updatesOf(openhim, txId('tx-bundle')).length > 0);
      await until('both debts settled', async () =>
        (await store.jobsOfTransaction(txId('tx-bundle'))).every((j) => j.transactionUpdate?.state === 'sent'),
      );
      await reporter.sweepOnce();
      const updates = updatesOf(openhim, txId('tx-bundle'));
      t.equal(updates.length, 1, 'one update for the whole transaction, not one per job');
      t.match(updates[0], { status: 'Completed with error(s)', response: { status: 200 } });
      t.same(entriesOf(updates[0]), ['201 Created', '409'], "each write's final answer, in the Bundle's order");
      t.match(updates[0].response?.body, /DHIS2 refused the event/);
      t.notMatch(JSON.stringify(updates), DEFAULT_OPENHIM_USER.password, 'without the OpenHIM password');
      t.equal((await store.getJob(b))?.status, 'rejected');
    });

    t.test('killed between the two ends: the next process sends one update, Successful', async (t) => {
      const { store, databaseUrl, openhim, reporter: first } = await reportingRig(t, engine);
      // the first process delivers the OpenLMIS write; its DHIS2 attempt never ends: it dies in it
      const dying = outboxFor(
        t,
        store,
        {
          openlmis: afterA503('openlmis', async () => ({ system: 'openlmis', ids: { requisition: 'req-2' } })),
          dhis2: afterA503('dhis2', () => new Promise(() => undefined)),
        },
        (job) => first.report(job),
        { leaseMs: 300, attemptTimeoutMs: 200 }, // its DHIS2 attempt's lease runs out soon after it dies
      );
      const answers = await bundle(dying, txId('tx-crash'));
      t.same(
        answers.map((x) => x.kind),
        ['queued', 'queued'],
      );
      const [a, b] = answers.map((x) => (x as { jobId: string }).jobId);
      dying.startWorker();
      await until('the OpenLMIS write delivered', async () => (await store.getJob(a))?.status === 'done');
      await until('the DHIS2 retry under way', async () => (await store.getJob(b))?.attempts === 2);
      t.match((await store.getJob(a))?.transactionUpdate, { state: 'owed' }, 'the first end recorded the debt');
      await first.sweepOnce();
      t.equal(putsOf(openhim, txId('tx-crash')).length, 0, 'not sent: the DHIS2 write has not ended');
      void dying.stop(0); // the process dies: its DHIS2 attempt never ends, its lease runs out

      const again = await openStore({ databaseUrl });
      t.teardown(() => again.close());
      const reporter = reporterFor(t, again, openhim);
      const next = outboxFor(
        t,
        again,
        {
          openlmis: async () => ({ system: 'openlmis', ids: { requisition: 'never' } }),
          dhis2: async () => ({ system: 'dhis2', ids: { event: 'ev-1' } }),
        },
        (job) => reporter.report(job),
      );
      next.startWorker();
      reporter.start();
      await until('the update', () => updatesOf(openhim, txId('tx-crash')).length > 0);
      await until('both debts settled', async () =>
        (await again.jobsOfTransaction(txId('tx-crash'))).every((j) => j.transactionUpdate?.state === 'sent'),
      );
      await reporter.sweepOnce();
      const updates = updatesOf(openhim, txId('tx-crash'));
      t.equal(updates.length, 1, 'once');
      t.match(updates[0], { status: 'Successful', response: { status: 200 } });
      t.same(entriesOf(updates[0]), ['201 Created', '201 Created']);
      t.match(updates[0].response?.body, /req-2/, "the first process's end is in it");
      t.match(updates[0].response?.body, /ev-1/);
    });

    t.test('a rerun of a Bundle answered 202: its transaction gets one update too, after its last job', async (t) => {
      const { store, openhim, reporter } = await reportingRig(t, engine);
      const [dhis2Delivers, releaseDhis2] = gate();
      const outbox = outboxFor(
        t,
        store,
        {
          openlmis: afterA503('openlmis', async () => ({ system: 'openlmis', ids: { requisition: 'req-r' } })),
          dhis2: afterA503('dhis2', async () => {
            await dhis2Delivers;
            return { system: 'dhis2', ids: { event: 'ev-r' } };
          }),
        },
        (job) => reporter.report(job),
      );
      const first = await bundle(outbox, txId('tx-run'));
      t.same(
        first.map((a) => a.kind),
        ['queued', 'queued'],
      );
      // OpenHIM reruns the stored Bundle: a new transaction id, the same writes (their business keys)
      const rerun = await bundle(outbox, txId('tx-run'), txId('tx-rerun'));
      t.same(
        rerun.map((a) => a.kind),
        ['duplicate', 'duplicate'],
        "the rerun is answered from the first run's jobs",
      );
      const [a, b] = first.map((x) => (x as { jobId: string }).jobId);
      for (const id of [a, b])
        t.match(
          await store.listRerunUpdates(id),
          [{ transactionId: txId('tx-rerun'), state: 'owed' }],
          'the rerun is owed',
        );

      outbox.startWorker();
      reporter.start();
      await until('the OpenLMIS write delivered', async () => (await store.getJob(a))?.status === 'done');
      await until('the DHIS2 retry under way', async () => (await store.getJob(b))?.attempts === 2);
      await reporter.sweepOnce();
      await new Promise((r) => setTimeout(r, 100));
      t.equal(
        putsOf(openhim, txId('tx-rerun')).length,
        0,
        'nothing sent for the rerun while its DHIS2 write is still going',
      );

      releaseDhis2();
      const rerunSent = async () =>
        (await Promise.all([a, b].map((id) => store.listRerunUpdates(id)))).every((debts) =>
          debts.every((d) => d.state === 'sent'),
        );
      await until('the rerun debts settled', rerunSent);
      await until('the first run updated', () => updatesOf(openhim, txId('tx-run')).length > 0);
      await reporter.sweepOnce();
      const updates = updatesOf(openhim, txId('tx-rerun'));
      t.equal(updates.length, 1, "one update for the rerun's transaction, not one per job");
      t.match(updates[0], { status: 'Successful', response: { status: 200 } });
      t.same(entriesOf(updates[0]), ['201 Created', '201 Created'], 'both writes of the rerun in it');
      t.match(updates[0].response?.body, /req-r/);
      t.match(updates[0].response?.body, /ev-r/);
      t.equal(updatesOf(openhim, txId('tx-run')).length, 1, 'the first run: one update as before');
      t.same(
        (await store.jobsOfTransaction(txId('tx-rerun'))).map((j) => [
          j.id,
          j.transactionId,
          j.transactionUpdate?.state,
        ]),
        [
          [a, txId('tx-rerun'), 'sent'],
          [b, txId('tx-rerun'), 'sent'],
        ],
        "the rerun's transaction lists the jobs it was answered from, with its own debts",
      );
    });

    t.test('a rerun answered from one settled and one queued job: its update lists and counts both', async (t) => {
      const { store, openhim, reporter } = await reportingRig(t, engine);
      const [dhis2Refuses, releaseDhis2] = gate();
      const outbox = outboxFor(
        t,
        store,
        {
          openlmis: async () => ({ system: 'openlmis', ids: { requisition: 'req-m' } }),
          dhis2: dhis2RefusesOnce(dhis2Refuses, 'DHIS2 refused it'),
        },
        (job) => reporter.report(job),
      );
      const first = await bundle(outbox, txId('tx-mixed'));
      t.same(
        first.map((x) => x.kind),
        ['done', 'queued'],
        'the OpenLMIS write delivered at once, the DHIS2 one 202',
      );
      const [a, b] = first.map((x) => (x as { jobId: string }).jobId);
      // OpenHIM reruns it while the DHIS2 write is still queued: one entry settled, one not
      const rerun = await bundle(outbox, txId('tx-mixed'), txId('tx-mixed-2'));
      t.match(
        rerun,
        [
          { kind: 'duplicate', jobId: a, previous: { kind: 'done' } },
          { kind: 'duplicate', jobId: b, previous: { kind: 'queued' } },
        ],
        'the rerun: the OpenLMIS entry answered with its end, the DHIS2 one 202 (Processing)',
      );
      t.same(await store.listRerunUpdates(a), [], 'nothing owed for the settled entry');
      t.match(await store.listRerunUpdates(b), [{ transactionId: txId('tx-mixed-2'), state: 'owed' }]);

      outbox.startWorker();
      reporter.start();
      await until('the DHIS2 retry under way', async () => (await store.getJob(b))?.attempts === 2);
      releaseDhis2();
      await until('the rerun debt settled', async () =>
        (await store.listRerunUpdates(b)).every((d) => d.state === 'sent'),
      );
      await reporter.sweepOnce();
      const updates = updatesOf(openhim, txId('tx-mixed-2'));
      t.equal(updates.length, 1, "one update for the rerun's transaction");
      t.match(
        updates[0],
        { status: 'Completed with error(s)', response: { status: 200 } },
        'one write delivered, one refused: not Completed as if the refusal were all of it',
      );
      t.same(entriesOf(updates[0]), ['201 Created', '409'], 'both entries of the rerun, the settled one too');
      t.match(updates[0].response?.body, /req-m/);
      t.same(
        (await store.jobsOfTransaction(txId('tx-mixed-2'))).map((j) => [j.id, j.status, j.transactionUpdate?.state]),
        [
          [a, 'done', undefined],
          [b, 'rejected', 'sent'],
        ],
        'the transaction lists the settled job it was answered from, owing nothing for it',
      );
      t.match(await store.countTransactionUpdates(), { owed: 0, refused: 0, abandoned: 0 });

      // a write resent alone, answered from its settled job: nothing shares its transaction, nothing recorded
      const alone = await outbox.acceptWrite({
        flow: 'order',
        system: 'openlmis',
        idempotencyKey: `${txId('tx-mixed')}-a`,
        payload: { line: 'a' },
        transactionId: txId('tx-alone'),
      });
      t.match(alone, { kind: 'duplicate', jobId: a, previous: { kind: 'done' } });
      t.same(await store.jobsOfTransaction(txId('tx-alone')), [], 'a lone resend of a settled write writes nothing');
    });

    t.test('a send still unanswered when its claim runs out is cut off, not sent beside', async (t) => {
      const { store } = await freshStore(engine, t);
      const openhim = await openhimSandbox(t, TRANSACTIONS);
      // OpenHIM takes longer than the claim to answer a send
      const outbox = outboxFor(t, store, {
        openlmis: afterA503('openlmis', async () => ({ system: 'openlmis', ids: { requisition: 'req-3' } })),
        dhis2: async () => ({ system: 'dhis2', ids: {} }),
      });
      const [answer] = await outbox.acceptWrites([
        { flow: 'order', system: 'openlmis', idempotencyKey: 'slow-a', payload: {}, transactionId: txId('tx-slow') },
      ]);
      t.equal(answer.kind, 'queued');
      outbox.startWorker();
      await until('the write delivered', async () => (await store.getJob(answer.jobId))?.status === 'done');
      openhim.state.updateDelayMs = 700;
      const reporter = reporterFor(t, store, openhim, { claimMs: 300, pollMs: 50, retryBaseMs: 1_000 });
      sends.most = 0;
      // due once the end's grace (2 s) is over; then two sweeps a claim apart
      await until(
        'the debt due',
        async () => ((await store.getJob(answer.jobId))?.transactionUpdate?.dueAt ?? 0) <= Date.now(),
      );
      const sweeping = reporter.sweepOnce();
      await new Promise((r) => setTimeout(r, 350));
      await reporter.sweepOnce();
      await sweeping;
      t.match(
        (await store.getJob(answer.jobId))?.transactionUpdate,
        { state: 'owed', lastError: /abort/i },
        'the send was cut off at its claim and is owed again',
      );
      t.equal(sends.most, 1, 'no second send while the first was under way');
    });
  });
}
