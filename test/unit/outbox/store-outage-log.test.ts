/**
 * The outbox worker's word on its database being away: one warning when an outage starts, a
 * reminder a minute, one line when it is back; other failures of a pass stay errors each time.
 * First on the class with a clock of its own, then on a real outbox whose store refuses its
 * looks for due jobs the way PostgreSQL's driver does while the server is down.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { STILL_AWAY_EVERY_MS, StoreOutageLog } from '../../../src/outbox/store-outage-log.js';
import { openStore } from '../../../src/store/index.js';
import { FAST, waitFor } from '../../support/outbox-fixture.js';
import { capturingLogger } from '../../support/capturing-logger.js';

/** pg's message for a connection that could not be made in time (database-away.ts knows it). */
const away = () => new Error('Connection terminated due to connection timeout');

t.test('an outage: said when it starts, once a minute while it lasts, and when it ends', async (t) => {
  const { lines, logger } = capturingLogger();
  let now = 1_000_000;
  const log = new StoreOutageLog(logger, () => now);
  for (let pass = 0; pass < 150; pass++) {
    log.failed(away());
    now += 1_000; // a pass a second, as the default pollMs
  }
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'outbox: the database is away; deliveries wait until it is back'],
      ['warn', 'outbox: the database is still away'],
      ['warn', 'outbox: the database is still away'],
    ],
    '150 failed passes over 150 s: three lines, not 150',
  );
  t.equal(lines[1].obj.awayMs, STILL_AWAY_EVERY_MS);
  log.passed();
  log.passed();
  t.match(lines.at(-1), {
    level: 'info',
    msg: 'outbox: the database is back; deliveries resume',
    obj: { awayMs: 150_000 },
  });
  t.equal(lines.length, 4, 'passes after the outage say nothing more');
  log.failed(away());
  t.equal(
    lines.at(-1)!.msg,
    'outbox: the database is away; deliveries wait until it is back',
    'a new outage is said again',
  );
});

t.test('any other failure of a pass is an error every time', async (t) => {
  const { lines, logger } = capturingLogger();
  const log = new StoreOutageLog(logger);
  log.failed(new TypeError("Cannot read properties of undefined (reading 'id')"));
  log.failed(new TypeError("Cannot read properties of undefined (reading 'id')"));
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['error', 'outbox worker pass failed'],
      ['error', 'outbox worker pass failed'],
    ],
  );
});

t.test('a real outbox whose store is away for 40 passes logs one warning, then one line when back', async (t) => {
  const { lines, logger } = capturingLogger();
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  let refusals = 40;
  const claimJobs = store.claimJobs.bind(store);
  store.claimJobs = async (...args) => {
    if (refusals > 0) {
      refusals -= 1;
      throw away();
    }
    return claimJobs(...args);
  };
  const outbox = new Outbox({ store, logger, options: { ...FAST, pollMs: 5 } });
  outbox.register('write', 'somewhere', async () => ({ system: 'somewhere', ids: {} }));
  outbox.startWorker();
  t.teardown(async () => {
    await outbox.stop(5_000);
    await store.close();
  });
  t.ok(
    await waitFor(async () => lines.some((l) => l.msg === 'outbox: the database is back; deliveries resume')),
    'the worker said the database is back',
  );
  t.equal(refusals, 0, 'every refusal was met');
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [
      ['warn', 'outbox: the database is away; deliveries wait until it is back'],
      ['info', 'outbox: the database is back; deliveries resume'],
    ],
    '40 failed passes within a second: one warning, no error',
  );
});
