import { getEventListeners } from 'node:events';
import t from 'tap';
import { Agent } from 'undici';
import { ExchangeDeadline } from '../../../src/upstream/deadline.js';
import { exchange } from '../../../src/upstream/http.js';
import { failure, recorded, startUpstream } from './harness.js';

t.test('the deadline aborts once, as a timeout, and leaves no listener on the caller signal', async (t) => {
  const caller = new AbortController();
  const deadline = new ExchangeDeadline(20, caller.signal);
  t.equal(getEventListeners(caller.signal, 'abort').length, 1, 'listening to the caller while it runs');
  let heard = 0;
  deadline.on('abort', () => heard++);
  await new Promise((r) => setTimeout(r, 60));
  t.equal(deadline.aborted, true);
  t.equal(deadline.timedOut, true);
  t.equal((deadline.reason as Error).name, 'TimeoutError');
  caller.abort(new Error('late'));
  t.equal(heard, 1, 'a caller abort after the deadline fired changes nothing');
  t.equal((deadline.reason as Error).name, 'TimeoutError');
  deadline.end();
  t.equal(getEventListeners(caller.signal, 'abort').length, 0, 'detached from the caller at the end');
});

t.test('a caller abort ends it with the caller reason, not as a timeout; an aborted caller at once', async (t) => {
  const caller = new AbortController();
  const deadline = new ExchangeDeadline(10_000, caller.signal);
  const why = new Error('client went away');
  caller.abort(why);
  t.equal(deadline.aborted, true);
  t.equal(deadline.timedOut, false);
  t.equal(deadline.reason, why);
  deadline.end();

  const gone = new AbortController();
  gone.abort(why);
  const late = new ExchangeDeadline(10_000, gone.signal);
  t.equal(late.aborted, true, 'already aborted when made');
  t.equal(late.reason, why);
  late.end();
  t.equal(getEventListeners(gone.signal, 'abort').length, 0);
});

t.test('through undici: a caller abort rejects with its reason, answered calls leave nothing behind', async (t) => {
  const u = await startUpstream((app) => {
    app.get('/slow', async () => new Promise((r) => setTimeout(() => r({}), 2_000)));
    app.get('/fast', async () => ({ ok: true }));
  });
  const agent = new Agent();
  t.teardown(async () => {
    await agent.close();
    await u.close();
  });
  const caller = new AbortController();
  const base = { system: 'sys', method: 'GET', baseUrl: u.url, headers: {}, timeoutMs: 5_000 };
  const pending = failure(exchange(agent, { ...base, path: '/slow', signal: caller.signal }));
  setTimeout(() => caller.abort(new Error('client went away')), 50);
  const err = await pending;
  t.equal(err.message, 'client went away', 'the caller reason, not an upstream error');
  t.equal(getEventListeners(caller.signal, 'abort').length, 0);

  const kept = new AbortController();
  const { result } = await recorded(() => exchange(agent, { ...base, path: '/fast', signal: kept.signal }));
  t.same(result.body, { ok: true });
  t.equal(getEventListeners(kept.signal, 'abort').length, 0, 'an answered call detached from the caller signal');
});
