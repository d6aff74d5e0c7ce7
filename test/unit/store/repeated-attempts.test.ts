/**
 * Migration v44 and Store.appendJobAttempt (repeated-attempts.ts): an uncharged attempt that came
 * back the same way for the same reason as the job's newest one is counted in that row, so a
 * facility waiting a week for its parent keeps one timeline row, not one every 30-60 s; anything
 * else is a row of its own. And a job's listing gives its newest rows. On both engines, from a
 * database written before v44.
 */
import t from 'tap';
import type { JobAttempt } from '../../../src/store/types.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { attemptRows as rows, INSERT_OLD, WAIT } from '../../support/attempt-timeline.js';

/** An attempt of job `jobId` that started at `at` and took 10 ms. */
function attempt(jobId: string, at: number, more: Partial<JobAttempt> = {}): JobAttempt {
  return { jobId, startedAt: at, endedAt: at + 10, attempt: 1, outcome: 'retry', detail: WAIT, ...more };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 43, INSERT_OLD);
    t.ok((await store.migrationVersions()).includes(44), 'v44 applied');

    t.same(await rows(store, 'old'), [[100, 110, 1, 'retry', undefined, undefined]], 'a row from before: one attempt');
    await store.appendJobAttempt(attempt('old', 200));
    t.same(await rows(store, 'old'), [[200, 210, 1, 'retry', 2, 100]], 'and a repeat of it is counted in it');

    for (const at of [1_000, 2_000, 3_000]) await store.appendJobAttempt(attempt('wait', at));
    t.same(
      await rows(store, 'wait'),
      [[3_000, 3_010, 1, 'retry', 3, 1_000]],
      "three looks at a waiting parent: one row, the latest look's times, counted, since the first",
    );

    await store.appendJobAttempt(attempt('wait', 4_000, { detail: 'dhis2: answered 503' }));
    await store.appendJobAttempt(attempt('wait', 5_000));
    await store.appendJobAttempt(attempt('wait', 6_000));
    await store.appendJobAttempt(attempt('wait', 7_000, { attempt: 2 }));
    await store.appendJobAttempt(attempt('wait', 8_000, { attempt: 2, outcome: 'dead' }));
    await store.appendJobAttempt(attempt('wait', 9_000, { attempt: 2, outcome: 'dead' }));
    t.same(
      await rows(store, 'wait'),
      [
        [3_000, 3_010, 1, 'retry', 3, 1_000],
        [4_000, 4_010, 1, 'retry', undefined, undefined],
        [6_000, 6_010, 1, 'retry', 2, 5_000],
        [7_000, 7_010, 2, 'retry', undefined, undefined],
        [8_000, 8_010, 2, 'dead', undefined, undefined],
        [9_000, 9_010, 2, 'dead', undefined, undefined],
      ],
      'another reason, a charged attempt and an end are rows of their own; only the newest row is counted on',
    );

    await store.appendJobAttempt(attempt('breaker', 1_000, { outcome: 'deferred' }));
    await store.appendJobAttempt(attempt('breaker', 2_000, { outcome: 'deferred' }));
    await store.appendJobAttempt(attempt('breaker', 3_000, { detail: undefined }));
    await store.appendJobAttempt(attempt('breaker', 4_000, { detail: undefined }));
    t.same(
      await rows(store, 'breaker'),
      [
        [2_000, 2_010, 1, 'deferred', 2, 1_000],
        [3_000, 3_010, 1, 'retry', undefined, undefined],
        [4_000, 4_010, 1, 'retry', undefined, undefined],
      ],
      'circuit-open deferrals are counted too; attempts with no reason are not',
    );

    t.same(
      (await rows(store, 'wait', 2)).map((r) => r[0]),
      [8_000, 9_000],
      "a job's listing gives its newest rows, oldest first",
    );
  });
}
