/**
 * Each request an attempt sends is told to its scope as it goes out (calling) and again once it has
 * its answer or its failure (ended): a timed-out attempt names the system it is still waiting on,
 * not one that answered (outbox.ts LazyAbort.waitedOn, AttemptTimeoutError). A shared fill's
 * request ends for the attempt that started it, as it was noted for it.
 */
import t from 'tap';
import { Agent } from 'undici';
import { exchange } from '../../../src/upstream/http.js';
import { outsideAttempt, runInAttempt, type AttemptScope } from '../../../src/upstream/attempt-scope.js';
import { failure, startUpstream } from './harness.js';

function recordingScope(events: string[], who = ''): AttemptScope {
  return {
    abandonedBy: undefined,
    calling: (system) => events.push(`${who}calling ${system}`),
    ended: (system) => events.push(`${who}ended ${system}`),
  };
}

t.test("a request's end is told once it answered, or failed", async (t) => {
  const u = await startUpstream((app) => app.get('/ok', async () => ({ ok: true })));
  const agent = new Agent();
  t.teardown(async () => {
    await agent.close();
    await u.close();
  });
  const base = { method: 'GET', baseUrl: u.url, headers: {}, timeoutMs: 5_000 };

  const events: string[] = [];
  let whileWaiting: string[] = [];
  await runInAttempt(recordingScope(events), async () => {
    const answered = exchange(agent, { ...base, system: 'lmis', path: '/ok' });
    whileWaiting = [...events];
    await answered;
    // refused: no answer at all (port 1, as http.test.ts)
    await failure(exchange(agent, { ...base, system: 'msupply', baseUrl: 'http://127.0.0.1:1', path: '/x' }));
  });
  t.same(whileWaiting, ['calling lmis'], 'unanswered while it waits');
  t.same(
    events,
    ['calling lmis', 'ended lmis', 'calling msupply', 'ended msupply'],
    'each ended once, answered or failed',
  );
});

t.test("a shared fill's request ends for the attempt that started it", async (t) => {
  const u = await startUpstream((app) => app.get('/ok', async () => ({ ok: true })));
  const agent = new Agent();
  t.teardown(async () => {
    await agent.close();
    await u.close();
  });
  const events: string[] = [];
  await runInAttempt(recordingScope(events, 'starter '), () =>
    outsideAttempt(() =>
      exchange(agent, { system: 'lmis', method: 'GET', baseUrl: u.url, path: '/ok', headers: {}, timeoutMs: 5_000 }),
    ),
  );
  t.same(events, ['starter calling lmis', 'starter ended lmis']);
});
