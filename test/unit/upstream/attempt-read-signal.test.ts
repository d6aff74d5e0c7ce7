/**
 * Reads made for a delivery attempt end with it (attempt-scope.ts attemptReadSignal), but a
 * cache fill other attempts share is made outside any attempt: one attempt abandoned must not
 * fail the others waiting on the same load (ExpiringCache).
 */
import t from 'tap';
import { attemptReadSignal, runInAttempt, type AttemptScope } from '../../../src/upstream/attempt-scope.js';
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
