/**
 * A server SIGKILLed mid-attempt on SQLite, and started again on the same file: the job it had in
 * flight is tried again as soon as the new server's worker starts, not once its lease (120 s, the
 * default kept here) runs out, and DHIS2 gets the write once. Meanwhile a CLI process holding a
 * lease of its own on the same file keeps it: the starting server leaves a live process's attempt
 * alone, and the CLI ends its job itself. SQLite only: on PostgreSQL a free lock ends a lease only
 * once its attempt timed out (60 s here); a killed process there: killed-cli-lease.test.ts.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { startDhis2Process } from '../../support/dhis2-process.js';
import { marchStockCountOf } from '../../support/march-stock-count.js';
import { cliHoldingLease } from '../../support/lease-holder-cli.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

const CONDOM = '10860012300034';
const DMPA = '10860012300027';

const sqlite = engineCases().find((e) => e.name === 'sqlite')!;

t.test('a job in flight when its server was killed is tried again at restart, once', async (t) => {
  const db = await sqlite.freshDatabase();
  t.teardown(db.drop);
  const { sb, mediator } = await startDhis2Process(t, 'q-killed-mid-attempt', db.databaseUrl, {
    OUTBOX_LEASE_MS: '120000',
    OUTBOX_ATTEMPT_TIMEOUT_MS: '60000',
  });
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());

  // a CLI beside the server, its attempt running under its own lease
  const cli = cliHoldingLease(t, db.databaseUrl);
  const cliJobId = (await until('the CLI has its write in flight', async () =>
    cli.lines.find((l) => l.startsWith('job '))?.slice(4),
  ))!;
  const cliLease = await store.getJob(cliJobId);
  t.match(cliLease, { status: 'in-flight', attempts: 1 }, "the CLI's job is in flight");

  // the server's attempt: DHIS2 imports the values and never answers; the server is killed then
  const hc = sb.state.summary().orgUnits['LK-HC-101'];
  sb.faults.add({
    method: 'POST',
    path: '/api/dataValueSets',
    times: 1,
    action: { type: 'afterApply', answer: { type: 'hang' } },
  });
  const report = marchStockCountOf(hc, 'HC101-2024-03-KILLED', [
    [CONDOM, 300],
    [DMPA, 45],
  ]);
  const pending = mediator.fhir('POST', '/fhir/R5/InventoryReport', report);
  await until('DHIS2 imported the values', async () => sb.state.imports.length === 1);
  await mediator.kill();
  t.equal(await pending, 'no answer', 'the client got no answer from the killed server');
  const [killed] = (await store.listJobs({ flow: 'stock' })).filter((j) => j.id !== cliJobId);
  t.match(killed, { status: 'in-flight', attempts: 1 }, "the killed server's job is left in flight");
  const leaseRanOutAt = killed.leaseUntil!;

  await mediator.restart();
  const delivered = await until(
    'the job delivered by the restarted server',
    async () => {
      const job = await store.getJob(killed.id);
      return job?.status === 'done' ? job : undefined;
    },
    90_000,
  );
  t.ok(
    delivered.updatedAt < leaseRanOutAt,
    'delivered before the lease the killed attempt held would have run out: it was released at start',
  );
  t.equal(delivered.attempts, 2, 'the killed attempt and one more');
  t.same(
    sb.state.imports.map((i) => i.imported),
    [2, 0],
    'sent again once, which DHIS2 found unchanged: each value imported once',
  );
  t.equal(sb.state.dataValues.size, 2, 'two values, no more');

  t.match(
    await store.getJob(cliJobId),
    { status: 'in-flight', attempts: 1, leaseOwner: cliLease!.leaseOwner, leaseUntil: cliLease!.leaseUntil },
    "the live CLI's lease is not released nor taken over by the starting server",
  );
  cli.child.stdin!.end('go\n');
  await until('the CLI ended its attempt', async () => cli.lines.some((l) => l.startsWith('ended ')));
  t.equal(
    cli.lines.find((l) => l.startsWith('ended ')),
    'ended done attempts=1',
    'the CLI delivered its job, once',
  );
  await until('the CLI process ended', async () => cli.child.exitCode !== null);
  const file = db.databaseUrl.slice('sqlite:'.length);
  t.equal(
    readdirSync(path.dirname(file)).filter((f) => f.startsWith(`${path.basename(file)}.lease-holder-`)).length,
    1,
    "one lease holder's lock left beside the database: the running server's (the killed one's and the CLI's gone)",
  );
});
