/**
 * A passing readiness check dead-letters the write that asked; it must not dead-letter a write
 * that fails after it ended (shared-answers.ts). The system answered a check for one write (its
 * failure its own: dead-lettered), then went down (a crash-looping upstream, a restart): a write
 * refused connections two seconds later, at its last attempt, was dead-lettered on that earlier
 * answer, kept for every asking write for ANSWER_FRESH_MS, though the outage had begun. Asked its
 * own check, it is held. A failing answer is still shared (holding is safe), so the thousand
 * writes of an outage still make one check. Both engines; Date.now moved forward between writes.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { ANSWER_FRESH_MS } from '../../../src/outbox/shared-answers.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const unavailable = () =>
  new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 503, diagnostics: 'Service Unavailable' });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    // opened before the clock is moved: PostgreSQL's store refuses a clock off the server's
    const store = await openStore({ databaseUrl: db.databaseUrl });
    const realNow = Date.now;
    let skew = 0;
    Date.now = () => realNow() + skew;
    let answers = true;
    let checks = 0;
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        // one attempt, below breakerFailures: a failure asks the check at once (last-attempt-hold.ts)
        backoff: { baseMs: 1_000, capMs: 2_000, maxAttempts: 1 },
        breaker: { consecutiveFailures: 1_000 },
      },
      systemAnswers: async () => {
        checks += 1;
        return answers;
      },
    });
    outbox.register('order', 'lmis', async () => {
      throw unavailable();
    });
    t.teardown(async () => {
      await outbox.stop();
      await store.close();
      Date.now = realNow;
      await db.drop();
    });
    const statusOf = async (key: string) => (await store.findJobsByKey(key)).map((j) => j.status);

    await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'poisoned', payload: {} });
    await outbox.idle();
    t.same(await statusOf('poisoned'), ['dead'], 'a write failing while its system answers is dead-lettered');

    answers = false; // the system goes down
    skew += ANSWER_FRESH_MS / 2;
    await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'in-the-outage', payload: {} });
    await outbox.idle();
    t.same(await statusOf('in-the-outage'), ['pending'], 'a write failing after the system went down is held');
    t.equal(checks, 2, 'asked again: the passing answer was not kept');

    await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'also-in-it', payload: {} });
    await outbox.idle();
    t.same(await statusOf('also-in-it'), ['pending'], 'held too');
    t.equal(checks, 2, 'the failing answer is shared');
  });
}
