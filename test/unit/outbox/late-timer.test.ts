/**
 * No journal step starts after the attempt's time is up, even when the attempt's timer has not
 * fired yet. On a starved machine timers fire seconds late; a step begun then could still be
 * writing upstream when the lease ends and another instance takes the job over, and the write
 * would be applied twice. The journal reads the clock before each step, so a late timer cannot
 * hide that the attempt is over.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';

const ATTEMPT_MS = 100;

/** Holds the event loop (no timer can fire) for `ms`, as a starved or paused process does. */
function starve(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: nothing else runs, the attempt's timeout included
  }
}

t.test('a step due after the attempt timed out does not run; the job is retried and resumes there', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({
    store,
    options: {
      deadlineMs: 2_000,
      attemptTimeoutMs: ATTEMPT_MS,
      leaseMs: 1_000,
      settleMs: 10,
      pollMs: 10,
      backoff: { baseMs: 5, capMs: 10, maxAttempts: 5 },
    },
  });
  t.teardown(async () => {
    await outbox.stop();
    await store.close();
  });
  const ran: string[] = [];
  let attempts = 0;
  outbox.register('order', 'lmis', async (_job, journal) => {
    attempts++;
    await journal.run('initiate', async () => {
      ran.push(`initiate#${attempts}`);
      return { id: 'r-1' };
    });
    if (attempts === 1) starve(ATTEMPT_MS * 3);
    await journal.run('submit', async () => {
      ran.push(`submit#${attempts}`);
      return { ok: true };
    });
    return { system: 'lmis', ids: { requisition: 'r-1' } };
  });
  const first = await outbox.acceptWrite({ flow: 'order', system: 'lmis', idempotencyKey: 'o-1', payload: {} });
  t.equal(first.kind, 'queued', 'the starved attempt ends as timed out, the write queued');
  t.same(ran, ['initiate#1'], 'its submit did not start after the attempt was over');
  outbox.startWorker();
  const deadline = Date.now() + 5_000;
  while ((await store.findJobsByKey('o-1'))[0].status !== 'done' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  t.equal((await store.findJobsByKey('o-1'))[0].status, 'done', 'the retry finished the job');
  t.same(ran, ['initiate#1', 'submit#2'], 'the retry replayed initiate from the journal and submitted once');
});
