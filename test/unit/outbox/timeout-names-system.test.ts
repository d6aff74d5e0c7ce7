/**
 * An attempt that times out names the system it was waiting on (AttemptTimeoutError.system), so a
 * write whose delivery hangs on ANOTHER system (a facility's parent looked up in OpenLMIS for a
 * DHIS2 write) is held at its last attempt while THAT system fails its readiness check
 * (last-attempt-hold.ts). The timeout named no system, so the write's own system's check was
 * asked, passed, and the write was dead-lettered while the other system was down.
 *
 * Waiting on means a request still unanswered, not merely the latest asked: a parent is asked of
 * every other system at once (routing/facility-parent.ts), and the last asked may have answered
 * while the first hangs; a request of another system beside the own system's hanging write must
 * not take the own system's outage for the other's. Both engines. The handler tells its calls as
 * the upstream clients do (noteAsking, its end when answered, and noteUpstreamCall for the request).
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { noteAsking, noteUpstreamCall } from '../../../src/upstream/attempt-scope.js';
import { engineCases } from '../../support/outbox-engines.js';

interface Case {
  name: string;
  /** The systems whose readiness check answers. */
  answering: string[];
  /** The delivery's calls: `hangs` never answered, the others answered at once. */
  calls: Array<{ system: string; hangs?: boolean }>;
  /** The check the hold asks, and what the timeout says it waited on. */
  asks: string;
}

const CASES: Case[] = [
  {
    name: 'the parent looked up in OpenLMIS hangs after its own read answered',
    answering: ['dhis2', 'msupply'],
    calls: [{ system: 'dhis2' }, { system: 'lmis', hangs: true }],
    asks: 'lmis',
  },
  {
    name: 'the parent asked of two systems at once: the first asked hangs, the last answers',
    answering: ['dhis2', 'msupply'],
    calls: [{ system: 'dhis2' }, { system: 'lmis', hangs: true }, { system: 'msupply' }],
    asks: 'lmis',
  },
  {
    name: 'its own write hangs beside a lookup of another system that answered',
    answering: ['lmis', 'msupply'],
    calls: [{ system: 'dhis2', hangs: true }, { system: 'lmis' }],
    asks: 'dhis2',
  },
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
            attemptTimeoutMs: 2_000, // a 300 ms one was deferred (half its time gone) by a slow accept under load
            backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 }, // its first attempt is its last
          },
          systemAnswers: async (system) => {
            asked.push(system);
            return c.answering.includes(system);
          },
        });
        const hung: Array<() => void> = [];
        outbox.register('facility', 'dhis2', async () => {
          for (const call of c.calls) {
            const ended = noteAsking(call.system);
            noteUpstreamCall(call.system);
            if (!call.hangs) ended();
          }
          await new Promise<void>((resolve) => hung.push(resolve));
          return { system: 'dhis2', ids: {} };
        });
        t.teardown(async () => {
          for (const end of hung) end();
          await outbox.stop();
          await store.close();
          await db.drop();
        });

        await outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: 'hangs', payload: {} });
        await outbox.idle();
        const [job] = await store.findJobsByKey('hangs');
        t.same(asked, [c.asks], 'the check asked is of the system the attempt was waiting on');
        t.equal(job?.status, 'pending', 'held while that system does not answer, not dead-lettered');
        t.match(job?.lastError, new RegExp(`timed out after \\d+ ms waiting on ${c.asks}`), 'the error says what');
      });
    }
  });
}
