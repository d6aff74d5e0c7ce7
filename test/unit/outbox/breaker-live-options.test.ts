/**
 * A breaker reads its options object when it uses it (outbox.breakerFailures and breakerOpenMs,
 * which an OpenHIM change updates in place): a new failure count applies to breakers already made
 * from their next failure, a new open time from their next opening, and cockatiel's own half-open
 * wait agrees with the gate, so the probe the gate lets through is taken as its test.
 */
import t from 'tap';
import { BreakerSet, type BreakerOptions } from '../../../src/outbox/breakers.js';
import { UpstreamError } from '../../../src/domain/errors.js';

const down = () => new UpstreamError({ system: 'dhis2', transient: true, upstreamStatus: 503, diagnostics: 'down' });

async function fail(set: BreakerSet): Promise<void> {
  await set
    .for('dhis2')
    .run(
      () => Promise.reject(down()),
      () => true,
    )
    .catch(() => undefined);
}

t.test('a failure count changed after the breaker was made applies from its next failure', async (t) => {
  const opts: BreakerOptions = { consecutiveFailures: 5, halfOpenAfterMs: 30_000 };
  const set = new BreakerSet(opts);
  await fail(set);
  t.equal(set.gates().dhis2, 'closed', 'one failure of five');
  opts.consecutiveFailures = 2;
  await fail(set);
  t.equal(set.gates().dhis2, 'open', 'the second failure opens it once two are enough');
});

t.test('an open time changed while open applies from the next opening; the probe is taken', async (t) => {
  const opts: BreakerOptions = { consecutiveFailures: 1, halfOpenAfterMs: 150 };
  const set = new BreakerSet(opts);
  const breaker = set.for('dhis2');
  await fail(set);
  const reopensAt = breaker.reopensAt();
  opts.halfOpenAfterMs = 60_000;
  t.equal(breaker.reopensAt(), reopensAt, 'the opening under way keeps the wait it began with');
  t.equal(set.gates(reopensAt - 1).dhis2, 'open', 'open until its 150 ms are over');
  t.equal(set.gates(reopensAt).dhis2, 'probe', 'then due a probe');

  const deadline = Date.now() + 10_000;
  while (breaker.gate() !== 'probe' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(breaker.gate(), 'probe', 'its 150 ms over, a probe is let through');
  await breaker.run(
    async () => 'created',
    () => true,
  );
  t.equal(breaker.gate(), 'closed', 'cockatiel took the probe as its half-open test: the gate and its wait agree');

  await fail(set);
  t.equal(set.gates(Date.now() + 50_000).dhis2, 'open', 'the next opening waits the new 60 s');
  t.equal(set.gates(breaker.reopensAt()).dhis2, 'probe', 'and lets a probe through after them');
});
