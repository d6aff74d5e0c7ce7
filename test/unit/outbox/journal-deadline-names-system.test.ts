/**
 * A journal step not started because the attempt's time is up (its timer late on a starved
 * machine: StoreStepJournal's deadline) names the system the attempt waits on, as the timer's own
 * timeout does (timeout-names-system.test.ts): a request of another system still unanswered, else
 * the job's own system, whose call the step would have been. It named none, so a write whose
 * parent lookup in another system hung was held on, or dead-lettered by, its own system's
 * readiness check, and its error said no system. Both engines.
 *
 * The timer cannot win the race: the handler runs a first step (its journal loaded), then its
 * clock jumps past the attempt's time, as a starved machine's does while no timer fires, and it
 * starts a second step; from there to the deadline check there is no I/O, so the check, not the
 * timer, ends the attempt. The attempt's time is long (its timer never fires in the test, however
 * slow the accept and the first step under load) and nothing blocks the event loop.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { noteAsking, noteUpstreamCall } from '../../../src/upstream/attempt-scope.js';
import { engineCases } from '../../support/outbox-engines.js';

const ATTEMPT_MS = 60_000;

/** `fn` run while the clock reads `ms` later than it is: a machine whose timers are that late. */
async function lateBy<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const now = Date.now;
  Date.now = () => now() + ms;
  try {
    return await fn();
  } finally {
    Date.now = now;
  }
}

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
            leaseMs: 2 * ATTEMPT_MS,
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
          for (const system of c.hung) {
            // as a client's call does (client.ts send): waited on, a request sent, never answered
            noteAsking(system);
            noteUpstreamCall(system);
          }
          // a starved machine: the attempt's time is up, its timer not fired
          await lateBy(ATTEMPT_MS + 1, () =>
            journal.run('post', async () => {
              stepRan = true;
              return 'posted';
            }),
          );
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
