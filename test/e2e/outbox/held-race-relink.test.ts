/**
 * An R5 resend of a queued delivery confirmation, matched to the write holding its key just as
 * that write is refused, becomes a job of its own (acceptAsHeld): the id it came by must read as
 * that job. It was linked by a store write after the accept's COMMIT, so a process killed between
 * left the id unlinked for good (a resend then matched that job and linked nothing). The links
 * are now written in the accept's transaction (ResourceLink.whenCreated). A real child process
 * (held-race-child.ts) killed by SIGKILL at its first store write after that COMMIT; both engines.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { hashPayload } from '../../../src/outbox/hash.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { HELD_JOB, HELD_LEASE, RESEND_KEY, held, resent } from './held-race-write.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** Runs the child on `databaseUrl` to its end; the signal that ended it. */
function runChild(databaseUrl: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/e2e/outbox/held-race-child.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: the id a racing resend came by reads as its own job, though the process died`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const before = await openStore({ databaseUrl: db.databaseUrl });
      // the held write: queued on R4 under the proof of delivery's id, in flight under a lease
      const now = Date.now();
      await before.recordWrites(
        [
          {
            id: HELD_JOB,
            flow: 'delivery',
            system: 'openlmis',
            idempotencyKey: RESEND_KEY,
            payloadHash: hashPayload(held),
            payload: held,
            status: 'in-flight',
            attempts: 1,
            nextAttemptAt: now,
            leaseOwner: HELD_LEASE,
            leaseUntil: now + 600_000,
            createdAt: now,
          },
        ],
        [{ flow: 'deliveries', fhirId: held.id!, system: 'openlmis', jobId: HELD_JOB }],
      );
      await before.close();

      t.equal(await runChild(db.databaseUrl), 'SIGKILL', 'the child was killed');

      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      const jobs = await store.findJobsByKey(RESEND_KEY);
      t.same(
        jobs.map((j) => [j.id === HELD_JOB ? 'held' : 'resend', j.status]),
        [
          ['held', 'rejected'],
          ['resend', 'in-flight'],
        ],
        'the held write was refused and the resend took its key over',
      );
      const own = jobs.find((j) => j.id !== HELD_JOB)!;
      t.match(
        await store.getLink('deliveries', resent.id!),
        { system: 'openlmis', jobId: own.id },
        'the id the resend came by reads as its own job',
      );
      t.match(await store.getLink('deliveries', held.id!), { jobId: HELD_JOB }, "the held write's id stays its own");
    },
  );
