/**
 * A CLI killed while the server keeps running: the server notices, while it runs, that the CLI's
 * lock is free and takes its job in flight over long before the CLI's lease (120 s, the default
 * kept here) runs out; a live CLI beside it keeps its lease. On both engines: SQLite tells by the
 * CLI's file lock, PostgreSQL by its session advisory lock (there only once the killed attempt is
 * over by its holder's own timeout, here the killed CLI's 5 s: a free lock may also be a live
 * holder reconnecting, whose attempt may run that long). The live CLI keeps the default attempt
 * timeout (60 s), so its attempt outlasts the take-over.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { startDhis2Process } from '../../support/dhis2-process.js';
import { cliHoldingLease } from '../../support/lease-holder-cli.js';
import { killHard, until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a killed CLI's job in flight is taken over by the running server before its lease ends`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      await startDhis2Process(t, 'af-killed-cli', db.databaseUrl, {
        OUTBOX_LEASE_MS: '120000',
        OUTBOX_ATTEMPT_TIMEOUT_MS: '1000',
      });
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());

      const jobOf = async (cli: ReturnType<typeof cliHoldingLease>) =>
        (await until('the CLI has its write in flight', async () =>
          cli.lines.find((l) => l.startsWith('job '))?.slice(4),
        ))!;
      const live = cliHoldingLease(t, db.databaseUrl, 'stock|cli|live');
      const liveJobId = await jobOf(live);
      const killed = cliHoldingLease(t, db.databaseUrl, 'stock|cli|killed', { OUTBOX_ATTEMPT_TIMEOUT_MS: '5000' });
      const killedJobId = await jobOf(killed);
      const liveLease = (await store.getJob(liveJobId))!;
      const killedLease = (await store.getJob(killedJobId))!;
      t.match(killedLease, { status: 'in-flight', attempts: 1 }, "the CLI's job is in flight under its lease");
      await killHard(killed.child);

      const takenOver = await until(
        'the running server took the killed CLI job over',
        async () => {
          const job = await store.getJob(killedJobId);
          return job && job.attempts > 1 ? job : undefined;
        },
        60_000,
      );
      t.equal(takenOver.attempts, 2, 'the killed attempt and one by the server');
      t.not(takenOver.leaseOwner, killedLease.leaseOwner, "no longer under the killed CLI's lease");
      t.ok(
        takenOver.updatedAt < killedLease.leaseUntil!,
        'taken over before the lease the killed CLI held would have run out: released by the running server',
      );

      t.match(
        await store.getJob(liveJobId),
        { status: 'in-flight', attempts: 1, leaseOwner: liveLease.leaseOwner, leaseUntil: liveLease.leaseUntil },
        "the live CLI's lease is neither ended nor taken over, though its attempt is older",
      );
      live.child.stdin!.end('go\n');
      await until('the live CLI ended its attempt', async () => live.lines.some((l) => l.startsWith('ended ')));
      t.equal(
        live.lines.find((l) => l.startsWith('ended ')),
        'ended done attempts=1',
        'the live CLI delivered its job itself, once',
      );
    },
  );
}
