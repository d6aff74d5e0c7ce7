/**
 * recordWrites writes a link marked `whenCreated` only when that call created the job it names,
 * in the same transaction (ResourceLink.whenCreated, linksOfWrites): a write accepted as the one
 * holding its key links nothing of its own to it, one that took the key over from a refused write
 * has its ids linked with its job. Other links of a duplicate still name the key's job. Both engines.
 */
import t from 'tap';
import type { NewJob } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const KEY = 'delivery|https://app.example.org/deliveries|DL-1';

const job = (id: string, payloadHash: string, now: number): NewJob => ({
  id,
  flow: 'delivery',
  system: 'openlmis',
  idempotencyKey: KEY,
  payloadHash,
  payload: { id },
  status: 'in-flight',
  attempts: 1,
  nextAttemptAt: now,
  leaseOwner: `lease-${id}`,
  leaseUntil: now + 600_000,
  createdAt: now,
});
const link = (fhirId: string, jobId: string, whenCreated?: boolean) => ({
  flow: 'deliveries',
  fhirId,
  system: 'openlmis',
  jobId,
  ...(whenCreated ? { whenCreated } : {}),
});

for (const engine of engineCases())
  t.test(
    `${engine.name}: a whenCreated link is written with a job the call created only`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const now = Date.now();
      await store.recordWrites([job('job-a', 'h', now)], [link('pod-1', 'job-a')]);

      // the same write again: a duplicate of job-a
      const [dup] = await store.recordWrites(
        [job('job-b', 'h', now + 1)],
        [link('r5-pod', 'job-b', true), link('other-id', 'job-b')],
      );
      t.match(dup, { created: false, job: { id: 'job-a' } });
      t.equal(await store.getLink('deliveries', 'r5-pod'), undefined, "a duplicate's whenCreated link is not written");
      t.match(await store.getLink('deliveries', 'other-id'), { jobId: 'job-a' }, 'an unmarked one names the key job');

      // the key's job refused: the next write takes the key over, its marked link with it
      const refused = { name: 'UnprocessableError', status: 422, issues: [{ code: 'processing', diagnostics: 'no' }] };
      t.ok(await store.finishJob('job-a', 'lease-job-a', { status: 'rejected', error: refused }, now + 2));
      const [own] = await store.recordWrites([job('job-c', 'h', now + 3)], [link('r5-pod', 'job-c', true)]);
      t.match(own, { created: true, job: { id: 'job-c' }, supersedes: 'job-a' });
      t.match(await store.getLink('deliveries', 'r5-pod'), { jobId: 'job-c' }, 'written with the job it created');
    },
  );
