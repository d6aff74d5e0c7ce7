/**
 * Reads made for a delivery attempt end with it (attempt-scope.ts attemptReadSignal), but a
 * cache fill other attempts share is made outside any attempt: one attempt abandoned must not
 * fail the others waiting on the same load (ExpiringCache). The fill's requests still count as
 * the starting attempt's calls for its system's circuit breaker.
 */
import t from 'tap';
import {
  attemptReadSignal,
  noteUpstreamCall,
  refuseIfAbandoned,
  runInAttempt,
  type AttemptScope,
} from '../../../src/upstream/attempt-scope.js';
import { SystemBreaker } from '../../../src/outbox/breakers.js';
import { AttemptTimeoutError } from '../../../src/outbox/errors.js';
import { ExpiringCache } from '../../../src/upstream/expiring-cache.js';

function scope(): AttemptScope & { abort(): void } {
  const controller = new AbortController();
  return {
    abandonedBy: undefined,
    signal: controller.signal,
    abort: () => controller.abort(new Error('abandoned')),
  };
}

t.test("an attempt's reads see its signal; a shared cache fill does not", async (t) => {
  const a = scope();
  t.equal(attemptReadSignal(), undefined, 'outside an attempt: none');
  await runInAttempt(a, async () => {
    t.equal(attemptReadSignal(), a.signal, "inside: the attempt's");
  });
  const cache = new ExpiringCache(() => 60_000);
  let seen: AbortSignal | undefined | 'not called' = 'not called';
  const load = () =>
    new Promise<string>((resolve) => {
      seen = attemptReadSignal();
      setTimeout(() => resolve('products'), 20);
    });
  const b = scope();
  const first = runInAttempt(a, () => cache.get('k', load));
  const second = runInAttempt(b, () => cache.get('k', load));
  a.abort();
  t.equal(seen, undefined, 'the fill carries no attempt signal');
  t.equal(await second, 'products', "the other attempt gets the load's answer");
  t.equal(await first, 'products');
});

t.test("a shared fill's requests are the starting attempt's calls, never cut by its end", async (t) => {
  const calls: string[] = [];
  const starter = { ...scope(), calling: (system: string) => calls.push(`starter:${system}`) };
  const joiner = { ...scope(), calling: (system: string) => calls.push(`joiner:${system}`) };
  const cache = new ExpiringCache(() => 60_000);
  let signal: AbortSignal | undefined | 'not called' = 'not called';
  const load = async () => {
    noteUpstreamCall('openlmis'); // what upstream/http.ts exchange does for each request
    signal = attemptReadSignal();
    refuseIfAbandoned();
    await new Promise((r) => setTimeout(r, 20));
    return 'facilities';
  };
  const first = runInAttempt(starter, () => cache.get('k', load));
  const second = runInAttempt(joiner, () => cache.get('k', load));
  starter.abort();
  t.same(calls, ['starter:openlmis'], 'noted for the attempt that started the fill, once');
  t.equal(signal, undefined, 'the fill carries no attempt signal');
  t.equal(await second, 'facilities', 'the joiner gets the answer');
  t.equal(await first, 'facilities', 'and the starter, although its attempt ended');
});

t.test('an attempt whose only call is a hung shared fill counts against its system', async (t) => {
  const breaker = new SystemBreaker({ consecutiveFailures: 1, halfOpenAfterMs: 60_000 }, 'openlmis');
  const cache = new ExpiringCache(() => 60_000);
  const hung = () => {
    noteUpstreamCall('openlmis');
    return new Promise<never>(() => undefined); // the system accepts and never answers
  };
  const called = new Set<string>();
  const attempt = { ...scope(), calling: (system: string) => called.add(system) };
  await breaker
    .run(
      () =>
        runInAttempt(attempt, () =>
          Promise.race([
            cache.get('facilities', hung),
            new Promise((_, reject) => setTimeout(() => reject(new AttemptTimeoutError(30)), 30)),
          ]),
        ),
      () => called.has('openlmis'),
    )
    .catch(() => undefined);
  t.equal(breaker.gate(), 'open', 'the timeout is the system not answering: the breaker opens');
});
