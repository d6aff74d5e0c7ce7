/**
 * An attempt's time runs from its job's lease, not from when it starts: a write that waited for
 * a delivery slot has that much less, so the attempt still ends leaseMs − attemptTimeoutMs before
 * the lease does and no other worker takes over a job still being written.
 */
import t from 'tap';
import { attemptBudgetMs } from '../../../src/outbox/outbox.js';

const options = { attemptTimeoutMs: 60_000, leaseMs: 120_000 };

t.test('a job claimed just now gets the whole attempt time', async (t) => {
  const now = 1_000_000;
  t.equal(attemptBudgetMs({ leaseUntil: now + options.leaseMs }, options, now), 60_000);
});

t.test('a job that waited 8 s for a slot gets 52 s', async (t) => {
  const leasedAt = 1_000_000;
  t.equal(attemptBudgetMs({ leaseUntil: leasedAt + options.leaseMs }, options, leasedAt + 8_000), 52_000);
});

t.test('past the attempt time of its lease, nothing is left', async (t) => {
  const leasedAt = 1_000_000;
  t.ok(attemptBudgetMs({ leaseUntil: leasedAt + options.leaseMs }, options, leasedAt + 61_000) <= 0);
});

t.test('a job without a lease (a test double) gets the whole attempt time', async (t) => {
  t.equal(attemptBudgetMs({}, options, 5), 60_000);
});
