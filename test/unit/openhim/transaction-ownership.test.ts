/**
 * The update a 202'd write owes goes only to a transaction OpenHIM left awaiting it: before the
 * first update the mediator reads the transaction from core and looks for the mark its 202
 * envelope left there. A client that reached the mediator directly with another transaction's id
 * (or an id core does not know, or one core never makes) gets no transaction of OpenHIM's
 * overwritten; the write itself is delivered all the same. The update that does go carries the
 * calls of the attempt that delivered the write, appended to the transaction's orchestrations,
 * credentials masked.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { FinalAttemptCalls } from '../../../src/openhim/final-attempts.js';
import { createTransactionReporter } from '../../../src/openhim/transaction-update-sweep.js';
import { ownershipOf } from '../../../src/openhim/transaction-ownership.js';
import { createTransactionUpdater } from '../../../src/openhim/transaction-updates.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { recordUpstreamCall } from '../../../src/platform/call-recording.js';
import { openStore } from '../../../src/store/index.js';
import {
  DEFAULT_OPENHIM_USER,
  newTransactionId,
  routedTransaction,
  type OpenHimSandbox,
} from '../../../sandbox/openhim/index.js';
import {
  acceptedThroughOpenHim,
  deliveredAfter202,
  FAST_UPDATE_TIMINGS,
  openhimSandbox,
  TEST_URN,
} from '../../support/transaction-update-rig.js';

const UPSTREAM_TOKEN = 'lmis-bearer-7f3a9c2e';

/** The OpenHIM sandbox, a store, and an outbox whose first order attempt fails (202) and whose second calls OpenLMIS. */
async function rig(t: { teardown(fn: () => unknown): void }) {
  const openhim = await openhimSandbox(t);
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  const warnings: { obj: object; msg?: string }[] = [];
  const finalAttempts = new FinalAttemptCalls();
  const send = createTransactionUpdater({
    settings: () => ({
      'openhim.apiUrl': openhim.url,
      'openhim.username': DEFAULT_OPENHIM_USER.email,
      'openhim.password': DEFAULT_OPENHIM_USER.password,
    }),
    urn: TEST_URN,
    secretValues: () => [DEFAULT_OPENHIM_USER.password, UPSTREAM_TOKEN],
    finalAttempts,
  });
  const reporter = createTransactionReporter({
    store,
    send,
    timings: FAST_UPDATE_TIMINGS,
    logger: { info() {}, warn: (obj, msg) => warnings.push({ obj, msg }) },
  });
  t.teardown(() => reporter.stop());
  const outbox = new Outbox({
    store,
    onSettled: (job) => reporter.report(job),
    owesTransactionUpdate: (job) => job.transactionId !== undefined,
    transactionUpdateGraceMs: 1_000,
    aroundAttempt: (job, attempt) => finalAttempts.record(job.id, attempt),
    options: { deadlineMs: 1_000, pollMs: 10, settleMs: 10, backoff: { baseMs: 5, capMs: 10, maxAttempts: 3 } },
  });
  let calls = 0;
  outbox.register('order', 'openlmis', async () => {
    const startedAt = Date.now();
    if (calls++ === 0) {
      recordUpstreamCall({
        system: 'openlmis',
        method: 'POST',
        url: 'https://lmis.example.org/api/requisitions/initiate',
        startedAt,
        response: { status: 503 },
      });
      throw new UpstreamError({ system: 'openlmis', transient: true, diagnostics: 'OpenLMIS answered 503' });
    }
    recordUpstreamCall({
      system: 'openlmis',
      method: 'POST',
      url: `https://lmis.example.org/api/requisitions/initiate?access_token=${UPSTREAM_TOKEN}`,
      requestHeaders: { authorization: `Bearer ${UPSTREAM_TOKEN}`, 'content-type': 'application/json' },
      requestBody: { program: 'family-planning' },
      startedAt,
      endedAt: Date.now(),
      response: {
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: { id: 'req-1', echoed: UPSTREAM_TOKEN },
      },
    });
    return { system: 'openlmis', ids: { requisition: 'req-1' } };
  });
  t.teardown(() => outbox.stop());
  return { openhim, store, outbox, warnings, finalAttempts };
}

const putsTo = (openhim: OpenHimSandbox, tx: string) =>
  openhim.state.calls.filter((c) => c.method === 'PUT' && c.url === `/transactions/${tx}`);

t.test('a transaction answered 202 through OpenHIM gets its final state, read first', async (t) => {
  const { openhim, store, outbox } = await rig(t);
  const tx = acceptedThroughOpenHim(openhim);
  const job = await deliveredAfter202(outbox, store, tx, { settled: true });
  t.match(job.transactionUpdate, { state: 'sent' });
  const calls = openhim.state.calls.filter((c) => c.url.startsWith(`/transactions/${tx}`)).map((c) => c.method);
  t.same(calls, ['GET', 'PUT'], 'one read of the transaction, then the update');
  t.match(openhim.state.transactions.get(tx), { status: 'Successful', response: { status: 201 } });
});

t.test('another transaction named by a direct client is not overwritten; the write is still delivered', async (t) => {
  const { openhim, store, outbox, warnings } = await rig(t);
  // a transaction of someone else's, answered at once (201) through OpenHIM: no mark
  const victim = newTransactionId();
  const answered = { status: 'Successful', response: { status: 201, body: '{"resourceType":"SupplyRequest"}' } };
  openhim.state.transactions.set(
    victim,
    routedTransaction(victim, { method: 'POST', path: '/fhir/SupplyRequest' }, answered),
  );
  const before = structuredClone(openhim.state.transactions.get(victim));
  const job = await deliveredAfter202(outbox, store, victim, { settled: true });
  t.equal(job.status, 'done', 'the write itself is delivered');
  t.match(job.transactionUpdate, { state: 'refused' });
  t.equal(putsTo(openhim, victim).length, 0, 'no update was sent');
  t.same(openhim.state.transactions.get(victim), before, 'the transaction is as core left it');
  t.match(
    warnings,
    [{ obj: { transactionId: victim, reason: /awaits no update from urn:mediator:test/ }, msg: /refused/ }],
    'a warning says why',
  );
  t.notMatch(JSON.stringify(warnings), DEFAULT_OPENHIM_USER.password, 'without the OpenHIM password');
});

t.test('a transaction id OpenHIM does not know: refused after the read, nothing updated', async (t) => {
  const { openhim, store, outbox, warnings } = await rig(t);
  const unknown = newTransactionId();
  const job = await deliveredAfter202(outbox, store, unknown, { settled: true });
  t.match(job.transactionUpdate, { state: 'refused' });
  t.match(warnings, [{ obj: { reason: /OpenHIM answered 404: it has no transaction/ } }]);
  t.equal(putsTo(openhim, unknown).length, 0);
});

t.test('an id core never makes is never put in an OpenHIM URL', async (t) => {
  const { openhim, store, outbox, warnings } = await rig(t);
  const job = await deliveredAfter202(outbox, store, '../mediators/urn:mediator:test', { settled: true });
  t.match(job.transactionUpdate, { state: 'refused' });
  t.match(warnings, [{ obj: { reason: /not one core makes/ } }]);
  t.same(
    openhim.state.calls.filter((c) => c.url.includes('transactions') || c.url.includes('mediators')),
    [],
    'OpenHIM was not called',
  );
});

t.test('the update appends the delivering attempt to the orchestrations, credentials masked', async (t) => {
  const { openhim, store, outbox, finalAttempts } = await rig(t);
  const tx = acceptedThroughOpenHim(openhim);
  // what the 202 envelope left: core's orchestration of its call to the mediator, and the failed attempt
  const kept = [{ name: 'core → mediator' }, { name: 'openlmis POST /api/requisitions/initiate' }];
  openhim.state.transactions.get(tx)!.orchestrations.push(...kept);
  await deliveredAfter202(outbox, store, tx, { settled: true });
  const [update] = openhim.state.transactionUpdates.get(tx) as any[];
  const pushed = update.$push?.orchestrations?.$each;
  t.equal(pushed?.length, 1, 'the delivering attempt: one upstream call');
  t.match(pushed[0], {
    name: 'openlmis POST /api/requisitions/initiate',
    request: { method: 'POST', path: '/api/requisitions/initiate', body: /family-planning/ },
    response: { status: 201, body: /req-1/ },
  });
  t.notMatch(JSON.stringify(update), UPSTREAM_TOKEN, 'the upstream token is masked everywhere');
  t.notMatch(JSON.stringify(update), DEFAULT_OPENHIM_USER.password);
  const stored = openhim.state.transactions.get(tx)!;
  t.same(
    stored.orchestrations.map((o) => o.name),
    [...kept.map((o) => o.name), 'openlmis POST /api/requisitions/initiate'],
    'appended to what the 202 left, not replacing it',
  );
  t.equal(finalAttempts.size, 0, 'the calls are forgotten once the update went');
});

t.test("the mark's read names the routed request's key beside its writes (v50), only as a key", async (t) => {
  const marked = (extra: Record<string, unknown>) => ({
    properties: { awaitsUpdateFrom: TEST_URN, awaitsUpdateOfWrites: 'a1b2c3d4e5f6', ...extra },
    response: { status: 202 },
  });
  const tx = newTransactionId();
  t.match(ownershipOf(marked({ awaitsUpdateOfRequest: 'k-1' }), tx, TEST_URN), { kind: 'owed', request: 'k-1' });
  for (const odd of [undefined, '', 7, { key: 'k-1' }])
    t.notOk(
      (ownershipOf(marked({ awaitsUpdateOfRequest: odd }), tx, TEST_URN) as { request?: unknown }).request,
      `${JSON.stringify(odd)}: no key (marked before v50, or not one we made)`,
    );
});

t.test(
  'a transaction core failed itself, our answer never read: refused, the reason says OpenHIM gave up',
  async (t) => {
    const tx = newTransactionId();
    // as core keeps a transaction whose route call it timed out (router.js handleServerError)
    const timedOut = {
      response: { status: 500 },
      error: { message: 'Request took longer than 5000ms' },
      orchestrations: [{ name: 'FHIR supply mediator', error: { message: 'Request took longer than 5000ms' } }],
    };
    const refused = ownershipOf(timedOut, tx, TEST_URN) as { kind: string; reason: string };
    t.equal(refused.kind, 'refused', 'no mark of ours: not updated');
    t.match(refused.reason, `OpenHIM gave up on transaction ${tx} before ${TEST_URN} answered it`);
    t.match(refused.reason, '"Request took longer than 5000ms"');
    t.notMatch(refused.reason, /was not answered 202/, 'not said to have come around OpenHIM');
    const direct = ownershipOf({ response: { status: 201 } }, tx, TEST_URN) as { reason: string };
    t.match(direct.reason, /was not answered 202 by it through OpenHIM/, 'a transaction answered at once is as before');
    // our 503 envelope with `error` (core's auto-retry): core read our answer, its orchestration has it
    const answered = {
      response: { status: 503 },
      error: { message: 'OpenLMIS unavailable' },
      orchestrations: [{ name: 'openlmis POST /api/requisitions/initiate', error: { message: 'ECONNREFUSED' } }],
    };
    const ours = ownershipOf(answered, tx, TEST_URN) as { reason: string };
    t.match(ours.reason, /was not answered 202 by it through OpenHIM/, 'an error of our answer is not core giving up');
    const read500 = {
      ...answered,
      response: { status: 500 },
      orchestrations: [{ name: 'route', response: { status: 500 } }],
    };
    const ours500 = ownershipOf(read500, tx, TEST_URN) as { reason: string };
    t.match(ours500.reason, /was not answered 202 by it through OpenHIM/, 'nor is a 500 of ours core read');
  },
);

t.test('a 500 of our own with `error` and no call answered is not said to be OpenHIM giving up', async (t) => {
  const tx = newTransactionId();
  // as a core that records no orchestration of its route call keeps our own 500 envelope with
  // `error` (its auto-retry) and no upstream call answered: the same shape as core failing it
  const ours = {
    response: { status: 500 },
    error: { message: 'openlmis: the connection was reset' },
    orchestrations: [{ name: 'openlmis GET /api/programs', error: { message: 'ECONNRESET' } }],
  };
  const refused = ownershipOf(ours, tx, TEST_URN) as { kind: string; reason: string };
  t.equal(refused.kind, 'refused');
  t.notMatch(refused.reason, /OpenHIM gave up/, 'not said to be core giving up: the record does not show it');
  t.match(refused.reason, `OpenHIM keeps transaction ${tx} failed with a 500 and no answer on record`);
  t.match(refused.reason, /either its call of .* failed before the answer, or .* answered a failure of its own/);
  t.match(refused.reason, '"openlmis: the connection was reset"');
  // core's own words for its channel timeout: core gave up, whatever orchestrations it kept
  const timedOut = { ...ours, error: { message: 'Request took longer than 30000ms' }, orchestrations: [] };
  const gaveUp = ownershipOf(timedOut, tx, TEST_URN) as { reason: string };
  t.match(gaveUp.reason, `OpenHIM gave up on transaction ${tx} before ${TEST_URN} answered it`);
});
