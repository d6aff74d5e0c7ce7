/**
 * A delivery that fails on our own database (outbox.ts retryAfterStoreFailure: a restart, a
 * failover) says nothing about the upstream: the job's own-outage mark (outage_failed_at, v65,
 * read by othersFailingTogether for the other writes of its system) and failing_since (when it
 * began failing at its upstream) stay as they were. Through the real Outbox and store, both
 * engines; the SQL's three states: test/unit/store/outage-failed-at.test.ts.
 */
import t from 'tap';
import { UpstreamError } from '../../../src/domain/errors.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { openStore } from '../../../src/store/index.js';
import { FAST } from '../../support/outbox-fixture.js';
import { engineCases } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** lmis serving nobody: a gateway's 503. */
const down = () => new UpstreamError({ system: 'lmis', transient: true, upstreamStatus: 503, diagnostics: 'down' });
/** What pg says of a client whose connection to our database was cut. */
const databaseAway = () => new Error('Client has encountered a connection error and is not queryable');

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.ok(isDatabaseAway(databaseAway()), 'the failure is our database away');
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    // a deadline of 0: each write is tried once, then left queued (no worker runs)
    const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 0 } });
    t.teardown(async () => {
      await outbox.stop(5_000);
      await store.close();
    });
    const failures = new Map<string, Array<() => Error>>([
      ['failing', [down, databaseAway]],
      ['fresh', [databaseAway]],
    ]);
    // then our database away at every attempt after
    outbox.register('write', 'lmis', async (job) => {
      throw (failures.get(job.idempotencyKey)!.shift() ?? databaseAway)();
    });
    const accept = async (key: string) =>
      outbox.acceptWrite({ flow: 'write', system: 'lmis', idempotencyKey: key, payload: { key } });

    const failing = await accept('failing');
    t.equal(failing.kind, 'queued', 'lmis answered 503');
    // (its attempt may end just after the deadline answered: its reschedule is waited for)
    await waitFor('the 503 recorded', async () => (await store.getJob(failing.jobId))?.lastError !== undefined);
    const since = (await store.getJob(failing.jobId))?.failingSince;
    t.ok(since, 'it began failing');
    t.ok(await store.othersFailingTogether('lmis', 'another', 0), 'its mark holds the other lmis writes');

    // its next attempt (the worker's, after its backoff) fails on our database
    outbox.startWorker();
    await waitFor('the retry to fail on our database', async () => {
      const job = await store.getJob(failing.jobId);
      return job?.status === 'pending' && /the mediator's database failed/.test(job.lastError ?? '');
    });
    await outbox.stop(5_000);
    const after = await store.getJob(failing.jobId);
    t.match(after?.lastError, /the mediator's database failed/, 'the attempt failed on our database');
    t.equal(after?.failingSince, since, 'failing_since unchanged');
    t.ok(await store.othersFailingTogether('lmis', 'another', 0), 'the mark kept: lmis did nothing new');

    // a write lmis never failed: our database failing does not start its failing age
    const fresh = await accept('fresh');
    t.equal(fresh.kind, 'queued');
    await waitFor('its attempt recorded', async () => {
      const job = await store.getJob(fresh.jobId);
      return job?.status === 'pending' && job.lastError !== undefined;
    });
    const job = await store.getJob(fresh.jobId);
    t.match(job?.lastError, /the mediator's database failed/);
    t.equal(job?.failingSince, undefined, 'no failing_since');
  });
