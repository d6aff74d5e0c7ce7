/**
 * Answers of another shape (malformedAnswer) and a system's circuit breaker (SystemBreaker.run,
 * other-shape-streak.ts): one request answered so (a poisoned record), whichever and however many
 * jobs ask it, never opens it; different jobs meeting them on different requests with no success
 * between (a gateway answering every request so) open it as a down system does; an open
 * breaker's probe meeting one of those keeps it open, one meeting the poisoned request hands the
 * probe on. Outside an attempt what was asked is the error's words (askedOf), so each request is
 * named by them here. The end-to-end cases, through Open mSupply, are
 * test/e2e/systems/msupply/other-shape-breaker.test.ts.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { SystemBreaker } from '../../../src/outbox/breakers.js';
import { malformedAnswer } from '../../../src/upstream/errors.js';

const OPTS = { consecutiveFailures: 3, halfOpenAfterMs: 20 };
const odd = (system = 'msupply', asked = 'items') =>
  malformedAnswer(system, `${asked} answered nothing where a list is`);

async function failOnce(b: SystemBreaker, job: string, err = odd('msupply', `lookup for ${job}`)): Promise<void> {
  await b
    .run(
      () => Promise.reject(err),
      () => true,
      job,
    )
    .catch(() => undefined);
}

async function succeed(b: SystemBreaker, job: string): Promise<void> {
  await b.run(
    async () => 'delivered',
    () => true,
    job,
  );
}

t.test('one job meeting answers of another shape on every try never opens the breaker', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  for (let i = 0; i < 20; i++) await failOnce(b, 'job-poisoned');
  t.equal(b.gate(), 'closed', 'twenty odd answers to one record: still closed');
});

t.test('several jobs meeting them with no success between open it, as a down system does', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  await failOnce(b, 'job-a');
  t.equal(b.gate(), 'closed', "one job's: not counted");
  await failOnce(b, 'job-b');
  await failOnce(b, 'job-a');
  t.equal(b.gate(), 'closed', 'two counted of three');
  await failOnce(b, 'job-c');
  t.equal(b.gate(), 'open', 'the third counted opens it');
});

t.test('a success between clears the streak: a poisoned record beside healthy writes', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  for (let i = 0; i < 10; i++) {
    await failOnce(b, 'job-poisoned');
    await failOnce(b, `job-poisoned-too-${i % 2}`);
    await succeed(b, `job-healthy-${i}`);
  }
  t.equal(b.gate(), 'closed', 'two poisoned records, each followed by a healthy write: closed');
});

t.test("another system's odd answer met on the way is not this system's", async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  for (let i = 0; i < 6; i++) await failOnce(b, `job-${i}`, odd('openlmis'));
  t.equal(b.gate(), 'closed');
});

t.test("an odd answer met long ago by another job does not join this job's", async (t) => {
  let windowMs = 60_000;
  const b = new SystemBreaker(OPTS, 'msupply', undefined, () => windowMs);
  await failOnce(b, 'job-days-ago');
  windowMs = 0; // everything before now is out of the window
  for (let i = 0; i < 6; i++) await failOnce(b, 'job-poisoned');
  t.equal(b.gate(), 'closed', 'one record within the window: closed');
});

t.test(
  "an open breaker's probe meeting an answer of another shape keeps it open; a delivered one closes it",
  async (t) => {
    const b = new SystemBreaker(OPTS, 'msupply');
    for (const job of ['a', 'b', 'c', 'd']) await failOnce(b, job);
    t.equal(b.gate(), 'open');
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    t.equal(b.gate(), 'probe');
    await failOnce(b, 'a');
    t.equal(b.gate(), 'open', 'not closed by the probe the gateway answered oddly');
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    await succeed(b, 'b');
    t.equal(b.gate(), 'closed', 'recovered: closed');
    await failOnce(b, 'c');
    await failOnce(b, 'c');
    await failOnce(b, 'c');
    t.equal(b.gate(), 'closed', 'the streak began again at the success: one job, not counted');
  },
);

t.test('jobs meeting one poisoned request (two orders naming one item, a Bundle) never open it', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  for (let i = 0; i < 12; i++) await failOnce(b, `line-${i % 6}`, odd('msupply', 'items PCM500T'));
  t.equal(b.gate(), 'closed', 'six jobs, one request, twelve odd answers: closed');
});

t.test('one job meeting them on a new request each try (a fresh id) never opens it', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  for (let i = 0; i < 8; i++) await failOnce(b, 'job-a', odd('msupply', `requisition ${i}`));
  t.equal(b.gate(), 'closed');
});

t.test('a probe meeting the poisoned request hands the probe on: not reopened, not closed', async (t) => {
  const b = new SystemBreaker(OPTS, 'msupply');
  // a system down (a transient 5xx counts): open
  const outage = () =>
    new UpstreamError({ system: 'msupply', transient: true, upstreamStatus: 503, diagnostics: 'down' });
  for (let i = 0; i < OPTS.consecutiveFailures; i++) await failOnce(b, `held-${i}`, outage());
  t.equal(b.gate(), 'open');
  await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
  const poisoned = odd('msupply', 'items PCM500T');
  await failOnce(b, 'poisoned', poisoned);
  t.notOk(b.probeFailed(poisoned), 'its job is charged as usual (it dies after its attempts)');
  t.equal(b.gate(), 'probe', 'the next job is let through in its place');
  const again = outage();
  await failOnce(b, 'held-0', again);
  t.ok(b.probeFailed(again), 'a probe the system failed opened it again: its job waits uncharged');
  t.equal(b.gate(), 'open');
});

t.test(
  'a probe failing alone (one write a healthy system answers 500) is charged; with others, uncharged',
  async (t) => {
    const b = new SystemBreaker(OPTS, 'msupply');
    const broken = () =>
      new UpstreamError({
        system: 'msupply',
        transient: true,
        upstreamStatus: 500,
        diagnostics: 'NullPointerException',
      });
    for (let i = 0; i < OPTS.consecutiveFailures; i++) await failOnce(b, 'poisoned', broken());
    t.equal(b.gate(), 'open', 'its own failures opened it');
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    const alone = broken();
    await failOnce(b, 'poisoned', alone);
    t.equal(b.gate(), 'open', 'the probe failed: open again');
    t.notOk(b.probeFailed(alone), 'no other job failed: charged, so it dies after its attempts');
    // another job fails too (a system down): the probe's job then waits uncharged
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    await failOnce(b, 'other', broken());
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    const withOthers = broken();
    await failOnce(b, 'poisoned', withOthers);
    t.ok(b.probeFailed(withOthers), 'another job failed since the last success: uncharged');
    await new Promise((r) => setTimeout(r, OPTS.halfOpenAfterMs + 5));
    await succeed(b, 'healthy');
    t.equal(b.gate(), 'closed', 'a success closes it and forgets the failing jobs');
  },
);
