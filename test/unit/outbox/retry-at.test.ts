/**
 * A system that says when a write can succeed (a transient error with `retryAt`: the DHIS2
 * connector while DHIS2 refuses its account, systems/dhis2/account-hold.ts). The job waits until
 * then. It is not charged an attempt, so however long the wait (a disabled account waits for an
 * administrator), it is never dead-lettered. The reason is its last error for the operator, and
 * it is delivered once the system takes it. Before, it was retried at the backoff's pace,
 * charged each time, and dead-lettered after maxAttempts.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { CREDENTIALS_REFUSED_WAIT_MS } from '../../../src/outbox/failures.js';
import { Dhis2AccountHeld } from '../../../src/systems/dhis2/account-hold.js';
import { decodeDhis2Error, loginRefusal } from '../../../src/systems/dhis2/errors.js';
import { engineCases } from '../../support/outbox-engines.js';
import { outboxFixture, waitFor } from '../../support/outbox-fixture.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a write the system asks to retry later waits, uncharged`,
    { skip: engine.skip },
    async (t) => {
      // one attempt allowed: any charged failure would dead-letter the job
      const f = await outboxFixture(t, engine, { options: { backoff: { baseMs: 5, capMs: 20, maxAttempts: 1 } } });
      let calls = 0;
      let retryAt = Date.now() + 400;
      f.outbox.register('held', 'dhis2', async () => {
        calls += 1;
        if (Date.now() < retryAt) throw new Dhis2AccountHeld('Account disabled', retryAt);
        return { system: 'dhis2', ids: { n: '1' } };
      });
      const first = await f.outbox.acceptWrite({
        flow: 'held',
        system: 'dhis2',
        idempotencyKey: 'HELD-1',
        payload: {},
      });
      t.match(first, { kind: 'queued', reason: /Account disabled.*queued until/ });
      const job = await f.store.getJob(first.jobId);
      t.match(job, {
        status: 'pending',
        attempts: 0,
        lastError: /Account disabled: a DHIS2 administrator must enable/,
      });
      t.equal(job!.nextAttemptAt, retryAt, 'due when the system said');
      t.notMatch(job!.lastError!, /password|Mediator-2024/);

      // asked to wait twice more (the hold restarted): still not charged, not dead
      f.outbox.startWorker();
      t.ok(await waitFor(async () => calls >= 2));
      retryAt = Date.now() + 300;
      t.ok(await waitFor(async () => (await f.store.getJob(first.jobId))?.status === 'done', 5_000), 'delivered');
      t.match(await f.store.getJob(first.jobId), { status: 'done' });
      t.ok(calls >= 2);
    },
  );
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: a system's waits do not open its breaker`, { skip: engine.skip }, async (t) => {
    // two counted failures would open the breaker for a minute, past this test's deadline
    const breaker = { consecutiveFailures: 2, halfOpenAfterMs: 60_000 };
    const f = await outboxFixture(t, engine, { options: { breaker } });
    const retryAt = Date.now() + 300;
    const deliveredAt: number[] = [];
    f.outbox.register('held', 'dhis2', async () => {
      if (Date.now() < retryAt) throw new Dhis2AccountHeld('Account locked', retryAt);
      deliveredAt.push(Date.now());
      return { system: 'dhis2', ids: { n: '1' } };
    });
    const held: [string, string][] = [];
    for (const key of ['HELD-A', 'HELD-B', 'HELD-C']) {
      const outcome = await f.outbox.acceptWrite({ flow: 'held', system: 'dhis2', idempotencyKey: key, payload: {} });
      t.match(outcome, { kind: 'queued', reason: /Account locked.*queued until/ }, `${key} waits for the hold`);
      held.push([key, outcome.jobId]);
    }
    t.same(f.outbox.breakerGates(), { dhis2: 'closed' }, 'three waits, the breaker still closed');

    // after the hold a new write goes straight to the system, and the held ones follow
    while (Date.now() < retryAt) await new Promise((r) => setTimeout(r, 20));
    const after = await f.outbox.acceptWrite({ flow: 'held', system: 'dhis2', idempotencyKey: 'AFTER', payload: {} });
    t.match(after, { kind: 'done' }, 'delivered at once, not deferred behind an open breaker');
    f.outbox.startWorker();
    for (const [key, id] of held) {
      const job = async () => f.store.getJob(id);
      t.ok(await waitFor(async () => (await job())?.status === 'done', 5_000), `${key} delivered`);
      t.match(await job(), { status: 'done', attempts: 1 }, `${key} charged only the attempt that delivered`);
    }
  });
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a refusal of our own credentials waits for the settings, uncharged, once the write was promised`,
    { skip: engine.skip },
    async (t) => {
      // one attempt allowed: a charged failure would dead-letter the job, a refusal reject it
      const f = await outboxFixture(t, engine, { options: { backoff: { baseMs: 5, capMs: 20, maxAttempts: 1 } } });
      // DHIS2 answering 401 to the token (transient for the outbox: loginRefusal)
      const dhis2 = () =>
        loginRefusal(decodeDhis2Error(401, { httpStatus: 'Unauthorized' }, 'POST', '/api/dataValueSets')) as Error;
      // a login refused for good (OpenLMIS, OpenMRS, Open mSupply): not transient
      const openlmis = () =>
        new UpstreamError({
          system: 'openlmis',
          transient: false,
          status: 502,
          code: 'login',
          diagnostics: "login as 'mediator' refused (invalid_grant): check openlmis.username",
        });
      f.outbox.register('creds', 'dhis2', async () => {
        throw dhis2();
      });
      f.outbox.register('creds', 'openlmis', async () => {
        throw openlmis();
      });
      const waitsUncharged = async (jobId: string, what: string, before: number) => {
        const job = await f.store.getJob(jobId);
        t.match(job, { status: 'pending', attempts: 0, lastError: /401|refused/ }, `${what}: waiting, uncharged`);
        t.ok(job!.nextAttemptAt >= before + CREDENTIALS_REFUSED_WAIT_MS, `${what}: tried again after the login hold`);
      };

      // DHIS2's 401 while the client waits: queued (202) and waiting, as it was answered 202 before
      let before = Date.now();
      const token = await f.outbox.acceptWrite({
        flow: 'creds',
        system: 'dhis2',
        idempotencyKey: 'CREDS-D',
        payload: {},
      });
      t.match(token, { kind: 'queued', reason: /queued until/ }, 'dhis2: queued, not refused');
      await waitsUncharged(token.jobId, 'dhis2', before);

      // a refused login while the client waits for the first attempt: told at once, nothing promised
      const told = await f.outbox.acceptWrite({
        flow: 'creds',
        system: 'openlmis',
        idempotencyKey: 'CREDS-L1',
        payload: {},
      });
      t.match(
        told,
        { kind: 'rejected', error: { issues: [{ code: 'login' }] } },
        'openlmis, client waiting: refused at once',
      );

      // the same refusal once the client was answered (no deadline: the worker's attempt)
      before = Date.now();
      const promised = await f.outbox.acceptWrite({
        flow: 'creds',
        system: 'openlmis',
        idempotencyKey: 'CREDS-L2',
        payload: {},
        deadlineMs: 0,
      });
      t.match(promised, { kind: 'queued' }, 'openlmis, answered at once');
      f.outbox.startWorker();
      t.ok(
        await waitFor(async () => !!(await f.store.getJob(promised.jobId))?.lastError, 5_000),
        'the worker met the refusal',
      );
      await waitsUncharged(promised.jobId, 'openlmis after a 202', before);
    },
  );
}
