/**
 * Client-side group commit on PostgreSQL (issue 18): the outbox's hot calls made while the
 * previous batch is in the database go together in one statement (TurnBatcher), and each call
 * still gets exactly its own answer: a write's job and links, a key repeated inside one batch
 * recorded once, a bad value failing only its own call, an end only where the lease holds, every
 * attempt kept, the first step recorded winning.
 */
import t from 'tap';
import type { NewJob } from '../../../src/store/index.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const engine = engineCases().find((e) => e.name === 'postgres')!;

const job = (key: string, payload: unknown = { key }): NewJob => ({
  id: `job-${key}`,
  flow: 'orders',
  system: 'openlmis',
  idempotencyKey: key,
  payloadHash: 'h',
  payload,
  status: 'in-flight',
  attempts: 1,
  nextAttemptAt: 1,
  leaseOwner: 'lease-1',
  leaseUntil: Date.now() + 60_000,
  createdAt: 1,
});

t.test('batched outbox statements on PostgreSQL', { skip: engine.skip }, async (t) => {
  const { store: s } = await freshStore(engine, t);
  const store = s as PostgresStore;

  t.test('forty writes at once: fewer statements, each write its own job and link', async (t) => {
    const before = store.batchStats().newWrites;
    const keys = Array.from({ length: 40 }, (_, i) => `K${i}`);
    const results = await Promise.all(
      keys.map((k) =>
        store.recordWrites([job(k)], [{ flow: 'orders', fhirId: `SR-${k}`, system: 'openlmis', jobId: `job-${k}` }]),
      ),
    );
    const after = store.batchStats().newWrites;
    t.equal(after.calls - before.calls, 40);
    t.ok(after.statements - before.statements < 40, `${after.statements - before.statements} statements for 40 writes`);
    t.ok(
      results.every(([r], i) => r.created && r.job.id === `job-${keys[i]}` && r.job.idempotencyKey === keys[i]),
      'each call answered with its own new job',
    );
    for (const k of ['K0', 'K17', 'K39']) {
      t.equal((await store.getLink('orders', `SR-${k}`))?.jobId, `job-${k}`, `link of ${k} recorded with its job`);
    }
  });

  t.test('a new write answers with the job as a read of it returns it, alone or batched', async (t) => {
    // keys in an order jsonb does not keep, nested values, a string that looks like JSON
    const payload = { zeta: 1, alpha: { b: [1, 'two', null], a: true }, mid: '{"x":1}', n: 12.5 };
    const [[alone]] = await Promise.all([store.recordWrites([job('ALONE', payload)], [])]);
    const batched = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.recordWrites([job(`B${i}`, { ...payload, i })], [])),
    );
    for (const r of [alone, ...batched.map(([b]) => b)]) {
      const read = await store.getJob(r.job.id);
      t.same(r.job, read, `${r.job.id}: the answer is the stored job`);
    }
  });

  t.test('one key twice in one batch: one job, the second call is a duplicate of it', async (t) => {
    const [a, b] = await Promise.all([
      store.recordWrites([job('SAME')], []),
      store.recordWrites([{ ...job('SAME'), id: 'job-SAME-2' }], []),
      ...Array.from({ length: 5 }, (_, i) => store.recordWrites([job(`fill-${i}`)], [])),
    ]);
    t.equal(a[0].created, true);
    t.equal(b[0].created, false, 'the second call did not create a job');
    t.equal(b[0].job.id, 'job-SAME', 'it got the job holding the key');
    t.same(
      (await store.findJobsByKey('SAME')).map((j) => j.id),
      ['job-SAME'],
      'one job under the key',
    );
  });

  t.test('a value PostgreSQL refuses fails its own write only', async (t) => {
    // jsonb cannot hold \u0000: the batch statement fails, and each member is run again alone
    const outcomes = await Promise.allSettled([
      store.recordWrites([job('GOOD-1')], []),
      store.recordWrites([job('BAD', { text: 'nul\u0000byte' })], []),
      store.recordWrites([job('GOOD-2')], []),
    ]);
    t.same(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    t.ok(await store.getJob('job-GOOD-1'));
    t.ok(await store.getJob('job-GOOD-2'));
    t.equal(await store.getJob('job-BAD'), undefined, 'nothing of the refused write was kept');
  });

  t.test('ends at once: finished where the lease holds, every attempt kept, links filled', async (t) => {
    const keys = Array.from({ length: 12 }, (_, i) => `E${i}`);
    await Promise.all(
      keys.map((k) =>
        store.recordWrites([job(k)], [{ flow: 'orders', fhirId: `SR-${k}`, system: 'openlmis', jobId: `job-${k}` }]),
      ),
    );
    const before = store.batchStats().jobEnds;
    const finished = await Promise.all(
      keys.map((k, i) =>
        store.finishJob(
          `job-${k}`,
          i === 3 ? 'someone-else' : 'lease-1',
          { status: 'done', result: { system: 'openlmis', ids: { requisition: `R-${k}` } } },
          2,
          { jobId: `job-${k}`, startedAt: 1, endedAt: 2, attempt: 1, outcome: 'done' },
        ),
      ),
    );
    const after = store.batchStats().jobEnds;
    t.ok(after.statements - before.statements < 12, `${after.statements - before.statements} statements for 12 ends`);
    t.same(
      finished,
      keys.map((_, i) => i !== 3),
      'false only for the end whose lease did not hold',
    );
    t.equal((await store.getJob('job-E3'))?.status, 'in-flight', 'that job is untouched');
    t.equal((await store.getJob('job-E5'))?.status, 'done');
    t.equal((await store.getLink('orders', 'SR-E5'))?.upstreamId, 'R-E5', 'the link learnt its upstream id');
    t.equal((await store.getLink('orders', 'SR-E3'))?.upstreamId, undefined, 'not the unfinished one');
    for (const k of keys) t.equal((await store.listJobAttempts(`job-${k}`)).length, 1, `attempt of ${k} kept`);
  });

  t.test('steps at once: each stored, the first recorded step wins', async (t) => {
    const results = await Promise.all([
      store.putStep('job-K1', 'initiate', { draft: 'd-1' }, 5),
      store.putStep('job-K2', 'initiate', 'INITIATED', 5),
      store.putStep('job-K3', 'nothing', undefined, 5),
    ]);
    t.same(results, [{ draft: 'd-1' }, 'INITIATED', null]);
    const again = await Promise.all([
      store.putStep('job-K1', 'initiate', { draft: 'd-2' }, 6),
      store.putStep('job-K2', 'submit', 'SUBMITTED', 6),
    ]);
    t.same(again, [{ draft: 'd-1' }, 'SUBMITTED'], 'a second result for a recorded step gets the first');
  });
});
