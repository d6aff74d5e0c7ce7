/**
 * The OpenHIM transaction update sweep while the mediator's own database is away: its passes
 * (every pollMs, 2 s by default) each failed to claim the debts owed and each logged it, thirty
 * warnings a minute for as long as a PostgreSQL restart or outage lasted. Now the outage is one
 * warning when it starts and one line when the sweep's claims succeed again, as the outbox
 * worker says its own (store-outage-log.ts); any other failure of a pass is an error each time.
 */
import t, { type Test } from 'tap';
import { createTransactionReporter } from '../../../src/openhim/transaction-update-sweep.js';
import { openStore } from '../../../src/store/index.js';
import { capturingLogger } from '../../support/capturing-logger.js';

/** pg's message for a connection that could not be made in time (database-away.ts knows it). */
const away = () => new Error('Connection terminated due to connection timeout');

async function waitFor(probe: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

async function sweepOver(t: Test, refusals: number, error: () => Error) {
  const { lines, logger } = capturingLogger();
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const claim = store.claimTransactionUpdates.bind(store);
  let left = refusals;
  store.claimTransactionUpdates = async (...args) => {
    if (left > 0) {
      left -= 1;
      throw error();
    }
    return claim(...args);
  };
  const reporter = createTransactionReporter({
    store,
    logger,
    send: async () => ({ kind: 'sent' }),
    timings: { retryBaseMs: 5, retryCapMs: 10, claimMs: 500, pollMs: 5 },
  });
  reporter.start();
  t.teardown(async () => {
    await reporter.stop();
    await store.close();
  });
  return { lines, left: () => left };
}

t.test('40 sweeps while the database is away: one warning, then one line when it is back', async (t) => {
  const { lines, left } = await sweepOver(t, 40, away);
  const back = 'OpenHIM transaction updates: the database is back; updates resume';
  t.ok(await waitFor(() => lines.some((l) => l.msg === back)), 'the sweep said the database is back');
  t.equal(left(), 0, 'every refusal was met');
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'OpenHIM transaction updates: the database is away; updates wait until it is back'],
      ['info', back],
    ],
    'not 40 warnings',
  );
  t.match(lines[0].obj, { err: /Connection terminated/ }, 'the first says why');
});

t.test('any other failure of a sweep is an error each time: a bug to see', async (t) => {
  const { lines, left } = await sweepOver(
    t,
    3,
    () => new TypeError("Cannot read properties of undefined (reading 'id')"),
  );
  t.ok(await waitFor(() => left() === 0 && lines.length >= 3));
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['error', 'OpenHIM transaction update sweep failed'],
      ['error', 'OpenHIM transaction update sweep failed'],
      ['error', 'OpenHIM transaction update sweep failed'],
    ],
  );
});
