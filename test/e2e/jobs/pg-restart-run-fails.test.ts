/**
 * The mediator's PostgreSQL restarts while a scheduled run is between two store calls, and the
 * next call fails: the run is recorded failed, gives its tick back, and the tick is run again once
 * the server is back, as a tick that could not start is, rather than waiting for the next tick
 * (a month, for a monthly bridge). The scheduler and the store on a real server of the test's own
 * (scripts/pg-test-server.sh), stopped with pg_ctl as a restart does.
 */
import { execSync } from 'node:child_process';
import t from 'tap';
import { AWAY_MID_RUN, Scheduler } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { waitFor } from '../../support/wait-for.js';
import { ownPgServer, PG_SKIP } from '../outbox/pg-outage-rig.js';

t.test(
  'PostgreSQL restarted mid-run, the run failing: its tick runs again once the server is back',
  {
    skip: PG_SKIP,
  },
  async (t) => {
    const server = ownPgServer();
    t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
    const store = await openStore({ databaseUrl: server.url });
    t.teardown(() => store.close());

    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let calls = 0;
    const { lines, logger } = capturingLogger();
    // once a minute, its tick two seconds from now: the next one is a minute off
    const expression = `${new Date(Date.now() + 2_000).getSeconds()} * * * * *`;
    const scheduler = new Scheduler({
      store,
      logger,
      awayRetryMs: 200,
      expression: () => expression,
      jobs: [
        {
          name: 'monthly-bridge',
          setting: 'schedules.monthlyBridge',
          description: 'reads, then writes its high-water mark',
          run: async () => {
            calls += 1;
            if (calls === 1) await gate; // reading upstream while the server restarts
            await store.setCursor('monthly-bridge', `run ${calls}`);
            return { counts: { written: 1 } };
          },
        },
      ],
    });
    scheduler.start();
    t.teardown(() => scheduler.stop());

    await waitFor('the run under way', () => calls === 1, 15_000);
    execSync(server.down, { stdio: 'ignore' });
    open();
    await waitFor(
      'the run stopped by the server away',
      () => lines.some((l) => l.msg?.startsWith('scheduled ')),
      15_000,
    );
    execSync(server.up, { stdio: 'ignore' });

    await waitFor('the tick run again', () => calls === 2, 30_000);
    await waitFor(
      'its end recorded',
      async () => (await store.listJobRuns('monthly-bridge'))[0]?.outcome === 'ok',
      15_000,
    );
    await scheduler.stop();
    const [again, stopped] = await store.listJobRuns('monthly-bridge');
    t.match(stopped, { outcome: 'failed', trigger: 'schedule' }, 'the stopped run is recorded failed');
    t.ok(stopped.detail!.endsWith(AWAY_MID_RUN), `and says why: ${stopped.detail}`);
    t.equal(stopped.tickAt, undefined, 'it gave its tick back');
    t.match(again, { outcome: 'ok', trigger: 'schedule', counts: { written: 1 } }, 'the tick run again, ok');
    t.ok(again.tickAt! <= stopped.startedAt && again.tickAt! > stopped.startedAt - 5_000, 'for the same tick');
    t.equal(await store.getCursor('monthly-bridge'), 'run 2', 'its write made by the second run');
  },
);
