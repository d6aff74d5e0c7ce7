/**
 * A system's readiness check asked once for every held write that needs its answer
 * (shared-answers.ts), not once per write: a thousand writes failing together at their last
 * attempt (or held past their bound) each pinged the system, all at once, every retry pass, each
 * ping up to 10 s while it hangs. Thirty writes answered 503 at their last attempt (maxAttempts 1,
 * below breakerFailures: asked at once, last-attempt-hold.ts) while the check is slow and fails:
 * one check, all held; once the answer is older than ANSWER_FRESH_MS and the check passes, one
 * more check, all dead-lettered. Both engines; Date.now moved forward for the second pass.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { ANSWER_FRESH_MS } from '../../../src/outbox/shared-answers.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const WRITES = 30;
const keys = Array.from({ length: WRITES }, (_, i) => `o-${i}`);
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
    let answers = false;
    let checks = 0;
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        backoff: { baseMs: 1_000, capMs: 2_000, maxAttempts: 1 },
        breaker: { consecutiveFailures: 1_000 },
        concurrency: { default: WRITES },
      },
      // a slow check: every write fails while it still runs
      systemAnswers: async () => {
        checks += 1;
        await new Promise((r) => setTimeout(r, 200));
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
    const statuses = async () =>
      (await Promise.all(keys.map((k) => store.findJobsByKey(k)))).flat().map((j) => j.status);

    await Promise.all(
      keys.map((k) => outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: k, payload: {} })),
    );
    await outbox.idle();
    t.same(new Set(await statuses()), new Set(['pending']), 'all held while the check fails');
    t.equal(checks, 1, `one check for ${WRITES} writes at their last attempt`);

    answers = true;
    skew += ANSWER_FRESH_MS + 10_000; // past the answer's freshness and every held write's wait
    await outbox.runOnce();
    await outbox.idle();
    t.same(new Set(await statuses()), new Set(['dead']), 'all dead-lettered once the system answers');
    t.equal(checks, 2, 'one more check, once the first answer was stale');
  });
}
