/**
 * A job run under way when the mediator process stops, through the real `serve` process, the
 * registry sandbox and both store engines. A SIGTERM while the propagate run waits on a registry
 * that does not answer: the run is recorded interrupted by the stop (it used to stay "running"
 * until the job's next run called it abandoned: five minutes in the demo, a month for a monthly
 * bridge) and the process exits without waiting for the registry. A SIGKILL mid-run (no stop can
 * record anything): the next start closes the dead process's run before it answers, not the
 * job's next run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { ABANDONED } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { until } from '../../support/net.js';
import { freePort, MediatorProcess } from '../../support/openlmis-faults-mediators.js';
import { engineCases } from '../../support/outbox-engines.js';
import { registryOnlyEnv } from '../../support/registry-only-env.js';

const ADMIN = 'stop-mid-run-admin-Qe4';

interface RunView {
  id: number;
  outcome: string;
  error?: string;
  end?: string;
}

async function propagateRuns(base: string): Promise<RunView[]> {
  const res = await fetch(`${base}/admin/jobs`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await res.json()) as { jobs: { name: string; lastRuns: RunView[] }[] };
  return body.jobs.find((j) => j.name === 'propagate')!.lastRuns;
}

for (const engine of engineCases())
  t.test(
    `a run under way when the process stops is not left running (${engine.name})`,
    { skip: engine.skip, timeout: 240_000 },
    async (t) => {
      const mfr = await startMfrSandbox({ port: 0 });
      t.teardown(() => mfr.close());
      // every registry read is held far past the registry client's own timeout: the run waits in it
      mfr.faults.add({ method: 'GET', path: '/fhir/Location*', times: 100, action: { type: 'delay', ms: 120_000 } });
      const dir = mkdtempSync(path.join(tmpdir(), 'stop-mid-run-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const mediator = new MediatorProcess(
        'stop-mid-run',
        registryOnlyEnv({ dataDir: dir, databaseUrl: db.databaseUrl, registryUrl: mfr.url, adminToken: ADMIN }),
        await freePort(),
        path.join(dir, 'mediator.log'),
      );
      t.teardown(() => mediator.kill());

      const runHeld = async () => {
        const base = mediator.url!;
        // a run by hand: its request is answered when the run ends (here: by the stop)
        void fetch(`${base}/admin/jobs/propagate/run`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}` },
        }).catch(() => undefined);
        return until('the run under way', async () => (await propagateRuns(base)).find((r) => r.outcome === 'running'));
      };
      const runsInStore = async () => {
        const store = await openStore({ dataDir: dir, databaseUrl: db.databaseUrl });
        try {
          return await store.listJobRuns('propagate');
        } finally {
          await store.close();
        }
      };

      await mediator.start();
      const held = await runHeld();
      // the registry holds the read for 120 s: an exit that waited for the run would come after it
      t.equal(await mediator.stop('SIGTERM', 60_000), 0, 'the process exits, code 0, without waiting for the registry');
      const [stopped] = await runsInStore();
      t.equal(stopped.id, held.id);
      t.equal(stopped.outcome, 'failed', 'the run is over');
      t.match(stopped.detail, /^interrupted: the mediator was stopped \(SIGTERM\) during the run/, 'said why');
      t.ok(stopped.endedAt !== undefined, 'with its end');

      await mediator.start();
      const killedRun = await runHeld();
      await mediator.kill();
      t.equal((await runsInStore()).find((r) => r.id === killedRun.id)?.outcome, 'running', 'SIGKILL recorded nothing');
      await mediator.start();
      // no run of propagate since the restart (its schedule is off): start-up itself closed it
      const after = (await propagateRuns(mediator.url!)).find((r) => r.id === killedRun.id)!;
      t.equal(after.outcome, 'failed', 'the dead process run is closed once the process is back');
      t.equal(after.error, ABANDONED);
    },
  );
