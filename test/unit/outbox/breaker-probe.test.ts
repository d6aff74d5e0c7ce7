/**
 * Which attempts decide a system's circuit breaker (SystemBreaker.run): only one that called the
 * system, or failed on the way to it. The end-to-end case (a facility waiting for its parent as
 * the probe, through DHIS2) is test/e2e/outbox/breaker-probe.test.ts; these are the other ways an
 * attempt sends nothing, each as the half-open probe, and the probe slot they hand on.
 */
import t from 'tap';
import { SystemBreaker } from '../../../src/outbox/breakers.js';
import { AttemptTimeoutError } from '../../../src/outbox/errors.js';
import { UpstreamError, BusinessRuleError } from '../../../src/domain/errors.js';

const OPTS = { consecutiveFailures: 1, halfOpenAfterMs: 20 };
const down = () => new UpstreamError({ system: 'openlmis', transient: true, upstreamStatus: 503, diagnostics: 'down' });

/** A breaker opened by one failed call, its half-open wait over: it lets one probe through. */
async function dueAProbe(): Promise<SystemBreaker> {
  const b = new SystemBreaker(OPTS, 'openlmis');
  await b
    .run(
      () => Promise.reject(down()),
      () => true,
    )
    .catch(() => undefined);
  await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
  return b;
}

t.test('a probe that sent nothing leaves the breaker due a probe', async (t) => {
  const cases: [string, () => Promise<unknown>][] = [
    ['succeeded without a call (superseded, already written)', async () => 'skipped'],
    ['refused by our own check', async () => Promise.reject(new BusinessRuleError('deliverFrom is not its depot'))],
    ['a bug of ours', async () => Promise.reject(new TypeError('x is undefined'))],
    ['timed out waiting for a lock of ours', async () => Promise.reject(new AttemptTimeoutError(1_000))],
  ];
  for (const [what, attempt] of cases) {
    const b = await dueAProbe();
    t.equal(b.gate(), 'probe', `${what}: due a probe`);
    let during = '';
    await b
      .run(
        async () => {
          during = b.gate();
          return attempt();
        },
        () => false,
      )
      .catch(() => undefined);
    t.equal(during, 'open', `${what}: one probe at a time`);
    t.equal(b.gate(), 'probe', `${what}: not closed, the next write is the probe`);
    await b.run(
      async () => 'delivered',
      () => true,
    );
    t.equal(b.gate(), 'closed', `${what}: the next probe, delivered, closes it`);
  }
});

t.test('a probe that called the system decides: closed when it answered, open when down', async (t) => {
  const answered = await dueAProbe();
  await answered.run(
    async () => 'ok',
    () => true,
  );
  t.equal(answered.gate(), 'closed', 'a delivered probe closes it');

  const refused = await dueAProbe();
  await refused
    .run(
      () => Promise.reject(new BusinessRuleError('no such facility')),
      () => true,
    )
    .catch(() => undefined);
  t.equal(refused.gate(), 'closed', "the system's own refusal: it is up");

  const failed = await dueAProbe();
  await failed
    .run(
      () => Promise.reject(down()),
      () => true,
    )
    .catch(() => undefined);
  t.equal(failed.gate(), 'open', 'still down: open again');

  const timedOut = await dueAProbe();
  await timedOut
    .run(
      () => Promise.reject(new AttemptTimeoutError(1_000)),
      () => true,
    )
    .catch(() => undefined);
  t.equal(timedOut.gate(), 'open', 'a call that timed out: open again');
});

t.test('a failure on the way to the system decides although no call was noted', async (t) => {
  const b = await dueAProbe();
  // a shared cache fill runs outside the attempt (attempt-scope.ts outsideAttempt): its refused
  // connection is the system failing all the same
  const refusedConnection = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
  await b
    .run(
      () => Promise.reject(refusedConnection),
      () => false,
    )
    .catch(() => undefined);
  t.equal(b.gate(), 'open', 'opened again');
});
