/**
 * The store's share of an accepted write (issue 18), on both engines: record the job with its
 * link, journal the step, record the end. The end fills the links' upstream id in the same
 * transaction (a read by FHIR id then finds the upstream object without another write). On
 * PostgreSQL each of the three is one round trip (counted on the pg client): 8.8 queries per
 * write before.
 */
import pg from 'pg';
import t from 'tap';
import type { NewJob } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

let queries = 0;
const clientQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries += 1;
  return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof clientQuery;

const job = (key: string): NewJob => ({
  id: `job-${key}`,
  flow: 'orders',
  system: 'openlmis',
  idempotencyKey: key,
  payloadHash: 'h',
  payload: { key },
  status: 'in-flight',
  attempts: 1,
  nextAttemptAt: 1,
  leaseOwner: 'lease-1',
  leaseUntil: Date.now() + 60_000,
  createdAt: 1,
});

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);

    t.test('a delivered write’s links learn the upstream id with the job’s end', async (t) => {
      const link = { flow: 'orders', fhirId: 'SR-1', system: 'openlmis', jobId: 'job-A' };
      const before = queries;
      const [recorded] = await store.recordWrites([job('A')], [link]);
      const recordQueries = queries - before;
      t.equal(recorded.created, true);
      t.same(await store.getLink('orders', 'SR-1'), link, 'linked to the job, no upstream id yet');

      const step = queries;
      t.same(await store.putStep('job-A', 'initiate', 'INITIATED', 2), 'INITIATED');
      const stepQueries = queries - step;
      t.same(await store.putStep('job-A', 'initiate', 'OTHER', 3), 'INITIATED', 'the first recorded step wins');

      const end = queries;
      const finished = await store.finishJob(
        'job-A',
        'lease-1',
        { status: 'done', result: { system: 'openlmis', ids: { requisition: 'R-9', extra: 'X' } } },
        4,
      );
      const endQueries = queries - end;
      t.equal(finished, true);
      t.same(
        await store.getLink('orders', 'SR-1'),
        { ...link, upstreamId: 'R-9' },
        'the link now names the upstream object (the first id of the result)',
      );
      if (engine.name === 'postgres') {
        t.same(
          { record: recordQueries, step: stepQueries, end: endQueries },
          { record: 1, step: 1, end: 1 },
          'one round trip each: record with link, journal step, end with links',
        );
      }
    });

    t.test('a stale lease changes neither the job nor its links; a refusal leaves links alone', async (t) => {
      await store.recordWrites([job('B')], [{ flow: 'orders', fhirId: 'SR-2', system: 'openlmis', jobId: 'job-B' }]);
      const result = { system: 'openlmis', ids: { requisition: 'R-10' } };
      t.equal(await store.finishJob('job-B', 'someone-else', { status: 'done', result }, 5), false);
      t.equal((await store.getLink('orders', 'SR-2'))?.upstreamId, undefined, 'stale: no upstream id');
      const error = { name: 'UpstreamError', status: 422, issues: [{ code: 'invalid', diagnostics: 'no' }] };
      t.equal(await store.finishJob('job-B', 'lease-1', { status: 'rejected', error }, 6), true);
      t.equal((await store.getLink('orders', 'SR-2'))?.upstreamId, undefined, 'refused: still none');
    });

    t.test('a duplicate key: the first job answers, and the new link points at it', async (t) => {
      await store.recordWrites([job('C')], []);
      const [again] = await store.recordWrites(
        [{ ...job('C'), id: 'job-C2' }],
        [{ flow: 'orders', fhirId: 'SR-3', system: 'openlmis', jobId: 'job-C2' }],
      );
      t.same({ created: again.created, id: again.job.id }, { created: false, id: 'job-C' });
      t.same(await store.getLink('orders', 'SR-3'), {
        flow: 'orders',
        fhirId: 'SR-3',
        system: 'openlmis',
        jobId: 'job-C',
      });
    });
  });
}
