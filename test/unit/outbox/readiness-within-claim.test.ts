/**
 * A write at its last attempt may ask its system's readiness check before it is held or
 * dead-lettered (last-attempt-hold.ts). That check runs inside the attempt's claim: one slower
 * than the claim's margin over the attempt (leaseMs − attemptTimeoutMs; the production check may
 * take 10 s) let the claim run out while the job waited for it, so another instance could take
 * the job and send the write again, and the late answer still decided the job. Unanswered within
 * half that margin, the system counts as not answering: the write is held and its claim given
 * back. Both engines; a check that answers "up" only after the claim would have ended.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const LEASE_MS = 1_600;
const ATTEMPT_MS = 800;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    const store = await openStore({ databaseUrl: db.databaseUrl });
    let checks = 0;
    const pending: Array<() => void> = [];
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        leaseMs: LEASE_MS,
        attemptTimeoutMs: ATTEMPT_MS,
        // one attempt, below breakerFailures: the failure asks the check at once
        backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 },
        breaker: { consecutiveFailures: 1_000 },
      },
      // "up", but only once the claim would have run out
      systemAnswers: () =>
        new Promise<boolean>((resolve) => {
          checks += 1;
          const timer = setTimeout(() => resolve(true), LEASE_MS + 400);
          pending.push(() => {
            clearTimeout(timer);
            resolve(true);
          });
        }),
    });
    outbox.register('order', 'lmis', async () => {
      throw new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 503, diagnostics: 'Unavailable' });
    });
    t.teardown(async () => {
      for (const end of pending) end();
      await outbox.stop();
      await store.close();
      await db.drop();
    });

    await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'slow-check', payload: {} });
    await outbox.idle();
    const [job] = await store.findJobsByKey('slow-check');
    t.equal(checks, 1, 'the check was asked');
    t.equal(job?.status, 'pending', 'held: a check unanswered within the claim does not decide the job');
  });
}
