/**
 * A journal step not started because the attempt's time is up (its timer late on a starved
 * machine: StoreStepJournal's deadline) names the system the attempt waits on, as the timer's own
 * timeout does (timeout-names-system.test.ts): a request of another system still unanswered, else
 * the job's own system, whose call the step would have been. It named none, so a write whose
 * parent lookup in another system hung was held on, or dead-lettered by, its own system's
 * readiness check, and its error said no system. Both engines.
 *
 * The timer cannot win the race: the handler runs a first step (its journal loaded), then blocks
 * the event loop past the attempt's time (no timer fires meanwhile), then starts a second step;
 * from there to the deadline check there is no I/O, so the check, not the timer, ends the attempt.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { noteUpstreamCall } from '../../../src/upstream/attempt-scope.js';
import { engineCases } from '../../support/outbox-engines.js';

const ATTEMPT_MS = 2_000; // as timeout-names-system: a shorter one was deferred by a slow accept under load

const CASES = [
  { name: 'nothing unanswered: the step would have asked its own system', hung: [], asks: 'dhis2' },
  { name: 'the parent asked of OpenLMIS unanswered: that system', hung: ['lmis'], asks: 'lmis' },
];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    for (const c of CASES) {
      await t.test(c.name, async (t) => {
        const db = await engine.freshDatabase();
        const store = await openStore({ databaseUrl: db.databaseUrl });
        const asked: string[] = [];
        const outbox = new Outbox({
          store,
          options: {
            pollMs: 60_000,
            leaseMs: 10_000,
            attemptTimeoutMs: ATTEMPT_MS,
            backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 }, // its first attempt is its last
          },
          systemAnswers: async (system) => {
            asked.push(system);
            return false; // not answering: the write is held, and the check asked says which
          },
        });
        let stepRan = false; // the step started past the deadline
        outbox.register('facility', 'dhis2', async (_job, journal) => {
          await journal.run('look', async () => 'seen'); // loads the journal
          for (const system of c.hung) noteUpstreamCall(system); // never answered
          const until = Date.now() + ATTEMPT_MS + 1;
          while (Date.now() < until); // a starved machine: the attempt's timer cannot fire
          await journal.run('post', async () => {
            stepRan = true;
            return 'posted';
          });
          return { system: 'dhis2', ids: {} };
        });
        t.teardown(async () => {
          await outbox.stop();
          await store.close();
          await db.drop();
        });

        await outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: 'late', payload: {} });
        await outbox.idle();
        const [job] = await store.findJobsByKey('late');
        t.notOk(stepRan, 'the step was not started');
        t.match(job?.lastError, new RegExp(`timed out after \\d+ ms waiting on ${c.asks}$`), 'the error names it');
        t.same(asked, [c.asks], "the last attempt's hold asks that system");
        t.equal(job?.status, 'pending', 'held while it does not answer');
      });
    }
  });
}
