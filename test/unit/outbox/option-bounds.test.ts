/**
 * The outbox refuses numbers that cannot work, naming the option, the value and the bound:
 * concurrency is an option only (no setting), and 0 meant no job was ever taken (every write
 * answered 202 and never delivered); a 0 ms lease is expired when taken (two workers run one job).
 */
import t from 'tap';
import { resolveOutboxOptions } from '../../../src/outbox/outbox.js';

t.test('numbers that cannot work are refused with option, value and bound', async (t) => {
  const cases: [Parameters<typeof resolveOutboxOptions>[0], string][] = [
    [{ concurrency: { default: 0 } }, 'outbox: concurrency.default must be a whole number of at least 1, got 0'],
    [
      { concurrency: { perSystem: { openlmis: -1 } } },
      'outbox: concurrency.perSystem.openlmis must be a whole number of at least 1, got -1',
    ],
    [{ concurrency: { default: 1.5 } }, 'outbox: concurrency.default must be a whole number of at least 1, got 1.5'],
    [{ backoff: { maxAttempts: 0 } }, 'outbox: backoff.maxAttempts must be a whole number of at least 1, got 0'],
    [{ leaseMs: 0, attemptTimeoutMs: -5 }, 'outbox: leaseMs must be from 1 to 2147483647 ms, got 0'],
    [{ pollMs: 0 }, 'outbox: pollMs must be from 1 to 2147483647 ms, got 0'],
    [{ attemptTimeoutMs: 3e9, leaseMs: 4e9 }, 'outbox: leaseMs must be from 1 to 2147483647 ms, got 4000000000'],
    [{ settleMs: -1 }, 'outbox: settleMs must be from 0 to 2147483647 ms, got -1'],
  ];
  for (const [options, message] of cases) {
    t.throws(
      () => resolveOutboxOptions(options),
      { message: new RegExp(`^${message.replace(/\./g, '\\.')}`) },
      message,
    );
  }
});

t.test('the defaults and the least workable values are taken', async (t) => {
  t.ok(resolveOutboxOptions());
  const least = resolveOutboxOptions({
    concurrency: { default: 1, perSystem: { openlmis: 1 } },
    backoff: { maxAttempts: 1, baseMs: 1, capMs: 1 },
    leaseMs: 2,
    attemptTimeoutMs: 1,
    pollMs: 1,
    duplicatePollMs: 1,
    deadlineMs: 0,
    settleMs: 0,
  });
  t.match(least, { concurrency: { default: 1, perSystem: { openlmis: 1 } }, leaseMs: 2, deadlineMs: 0 });
});
