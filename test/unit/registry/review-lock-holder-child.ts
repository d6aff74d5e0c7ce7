/**
 * A second process on the mediator's database (review-lock-across-processes.test.ts), as a
 * `reconcile --store` run beside the server is: it takes the review lock of system `emr`, prints
 * `held`, and once a line comes on stdin links record L1 to R1 under it, prints `written`, and
 * gives the lock back (`released`); a write refused prints `refused: <why>` instead of `written`. Settings from the environment: DATABASE_URL.
 */
import { openStore } from '../../../src/store/index.js';
import { oneReviewAtATime } from '../../../src/registry/review-lock.js';
import { crosswalkRow } from '../../support/crosswalk-row.js';

const store = await openStore({ databaseUrl: process.env.DATABASE_URL });
const go = new Promise<void>((resolve) =>
  process.stdin.once('data', () => {
    process.stdin.destroy(); // read: it no longer keeps this process alive
    resolve();
  }),
);
try {
  await oneReviewAtATime(store, 'emr', async () => {
    process.stdout.write('held\n');
    await go;
    const row = { system: 'emr', systemId: 'L1', registryId: 'R1', state: 'manual-match' as const };
    await store.upsertCrosswalk(crosswalkRow({ ...row, decidedBy: 'amina', decidedAt: '2026-12-07T10:00:00Z' }));
    process.stdout.write('written\n');
  });
} catch (err) {
  // one line: the parent reads stdout line by line
  process.stdout.write(`refused: ${(err as Error).message.replaceAll('\n', ' ')}\n`);
}
process.stdout.write('released\n');
await store.close();
