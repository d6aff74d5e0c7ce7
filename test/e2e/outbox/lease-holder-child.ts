/**
 * A CLI process holding an outbox lease, for the tests of what a starting server releases: the
 * CLI's own runtime (cli/runtime.ts: its store, connectors and outbox, as `bridge` or
 * `propagation` run them) accepts one stock write to DHIS2 whose attempt runs until a line comes on
 * stdin. Settings from the environment (DATABASE_URL; HELD_LEASE_KEY, the write's idempotency key). Prints `job <id>` once the write is stored
 * in flight under this process's lease, and `ended <status> attempts=<n>` when it ended.
 */
import { withCliRuntime } from '../../../src/cli/runtime.js';
import { loadOperatorSettings } from '../../../src/config/load.js';

await withCliRuntime(loadOperatorSettings(process.env), async ({ outbox, store }) => {
  const go = new Promise<void>((resolve) =>
    process.stdin.once('data', () => {
      process.stdin.destroy(); // read: it no longer keeps this process alive
      resolve();
    }),
  );
  outbox.register('stock', 'dhis2', async () => {
    await go;
    return { system: 'dhis2', ids: { dataValueSet: 'held-by-cli' } };
  });
  const outcome = await outbox.acceptWrite({
    flow: 'stock',
    system: 'dhis2',
    idempotencyKey: process.env.HELD_LEASE_KEY ?? 'stock|cli|held-lease',
    payload: { held: true },
    deadlineMs: 1, // answered queued at once; the attempt goes on under this process's lease
  });
  process.stdout.write(`job ${outcome.jobId}\n`);
  await outbox.idle();
  const job = await store.getJob(outcome.jobId);
  process.stdout.write(`ended ${job?.status} attempts=${job?.attempts}\n`);
  return 0;
});
