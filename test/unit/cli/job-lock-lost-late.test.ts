/**
 * A run by hand holding a job's lock (holdingJobLock) whose lock is lost after its last write
 * still exits 2 saying why, as the scheduler records such a run failed (scheduler.ts: "whatever the
 * job says, it stopped part way"): the loss is heard late (a session's death is found by a probe),
 * so its last writes may have gone beside the instance that took the lock; exit 0 told a cron
 * script the run was whole. Both engines; the lock lost as the scheduler tests fake it (the real
 * lock's signal joined with one aborted with AdvisoryLockLost).
 */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { holdingJobLock } from '../../../src/cli/job-lock.js';
import { openStore } from '../../../src/store/index.js';
import { AdvisoryLockLost } from '../../../src/store/pg-held-lock.js';
import { engineCases } from '../../support/outbox-engines.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

for (const engine of engineCases())
  t.test(`${engine.name}: a lock lost after the run's last write`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const real = store.withAdvisoryLock.bind(store);
    let lost = new AbortController();
    store.withAdvisoryLock = ((name: string, run: (signal: AbortSignal) => Promise<unknown>) =>
      real(name, (signal) => run(AbortSignal.any([signal, lost.signal])))) as typeof store.withAdvisoryLock;

    const err = collect();
    const writes: string[] = [];
    const code = await holdingJobLock(store, 'stockToDhis2', 'bridge stock-to-dhis2', err.stream, async (signal) => {
      signal.throwIfAborted();
      writes.push('last');
      // heard only now: the session had died while the write went out
      lost.abort(new AdvisoryLockLost('schedule:stockToDhis2', 'its session died; another instance holds it now'));
      return 0;
    });
    t.same(writes, ['last'], 'the run made its write');
    t.equal(code, 2, 'not 0: the run did not hold the lock throughout');
    t.match(
      err.text(),
      /^bridge stock-to-dhis2 stopped: the lock schedule:stockToDhis2 was lost mid-run \(its session died; another instance holds it now\)/m,
    );

    // kept throughout: the run's own code
    lost = new AbortController();
    const kept = collect();
    t.equal(await holdingJobLock(store, 'stockToDhis2', 'bridge stock-to-dhis2', kept.stream, async () => 0), 0);
    t.equal(kept.text(), '');
  });
