/**
 * outsideAttempt (attempt-scope.ts): a shared load (a reference-data cache fill) runs outside the
 * delivery attempt that starts it. Outside any attempt (a client's precheck) there is nothing to
 * leave, and leaving costs: AsyncLocalStorage.exit switches Node's async hooks off and on again
 * when no other store is in use, once per OpenLMIS order (issue 18).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import t from 'tap';
import {
  attemptReadSignal,
  outsideAttempt,
  refuseIfAbandoned,
  runInAttempt,
} from '../../../src/upstream/attempt-scope.js';

/** Counts AsyncLocalStorage.exit calls (any store's) while `fn` runs. */
async function exitsDuring(t: { teardown(fn: () => void): void }, fn: () => Promise<unknown>): Promise<number> {
  const proto = AsyncLocalStorage.prototype as unknown as { exit: (...args: unknown[]) => unknown };
  const exit = proto.exit;
  let exits = 0;
  proto.exit = function (this: unknown, ...args: unknown[]) {
    exits++;
    return exit.apply(this, args);
  };
  t.teardown(() => {
    proto.exit = exit;
  });
  await fn();
  proto.exit = exit;
  return exits;
}

t.test('outside any attempt the load runs as it is, leaving no store', async (t) => {
  // an attempt ran before in this process: its store is in use (as in a running mediator)
  await runInAttempt({ abandonedBy: undefined }, async () => undefined);
  let seen: unknown = 'not run';
  const exits = await exitsDuring(t, async () => {
    const value = await outsideAttempt(async () => {
      await new Promise((r) => setImmediate(r));
      seen = attemptReadSignal();
      return 42;
    });
    t.equal(value, 42);
  });
  t.equal(seen, undefined, 'the load sees no attempt');
  t.equal(exits, 0, 'no AsyncLocalStorage was left');
});

t.test('inside an attempt that tells nobody of its calls, the load still leaves it', async (t) => {
  const abandoned = new Error('abandoned');
  const controller = new AbortController();
  const scope = { abandonedBy: abandoned, signal: controller.signal };
  const seen: unknown[] = [];
  await runInAttempt(scope, async () => {
    t.throws(() => refuseIfAbandoned(), abandoned, 'the attempt itself is abandoned');
    await outsideAttempt(async () => {
      await new Promise((r) => setImmediate(r));
      refuseIfAbandoned(); // the shared load belongs to no attempt: not refused
      seen.push(attemptReadSignal());
    });
    t.equal(attemptReadSignal(), controller.signal, 'the attempt is back once the load is started');
  });
  t.same(seen, [undefined]);
});
