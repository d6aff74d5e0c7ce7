/**
 * Through the real `serve` process, the registry sandbox and both store engines: a scheduled
 * propagate run a SIGKILL cut (left `running` in the store, as a killed process leaves it) whose
 * job's next tick has not come is run again for its tick when the server starts: closed as
 * abandoned first, then its tick run once, ok. Before, it was only closed, and the tick's work
 * waited for the next tick (a year here; a month for the monthly stock bridge).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { nextFire } from '../../../src/jobs/cron.js';
import { ABANDONED } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { until } from '../../support/net.js';
import { freePort, MediatorProcess } from '../../support/openlmis-faults-mediators.js';
import { engineCases } from '../../support/outbox-engines.js';
import { registryOnlyEnv } from '../../support/registry-only-env.js';

const ADMIN = 'resume-cut-run-admin-Zk7';

interface RunView {
  id: number;
  trigger: string;
  tick?: string;
  outcome: string;
  error?: string;
  counts?: Record<string, number>;
}
/** Once a year: the tick before now is months past, the next one months off. */
const YEARLY = '0 0 1 1 *';

/** The latest tick of `expression` at or before now. */
function lastTick(expression: string): number {
  const now = Date.now();
  let last = nextFire(expression, now - 800 * 86_400_000)!;
  for (let next = nextFire(expression, last)!; next <= now; next = nextFire(expression, last)!) last = next;
  return last;
}

for (const engine of engineCases())
  t.test(
    `a scheduled run a SIGKILL cut runs its tick again at start (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const mfr = await startMfrSandbox({ port: 0 });
      t.teardown(() => mfr.close());
      const dir = mkdtempSync(path.join(tmpdir(), 'resume-cut-run-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const tickAt = lastTick(YEARLY);
      const store = await openStore({ dataDir: dir, databaseUrl: db.databaseUrl });
      const cut = await store.startJobRun({
        name: 'propagate',
        tickAt,
        trigger: 'schedule',
        instance: 'killed:1',
        startedAt: tickAt + 1_000,
      });
      await store.close();

      const mediator = new MediatorProcess(
        'resume-cut-run',
        {
          ...registryOnlyEnv({ dataDir: dir, databaseUrl: db.databaseUrl, registryUrl: mfr.url, adminToken: ADMIN }),
          SCHEDULE_PROPAGATE: YEARLY,
        },
        await freePort(),
        path.join(dir, 'mediator.log'),
      );
      t.teardown(() => mediator.kill());
      await mediator.start();

      // what an operator sees: GET /admin/jobs, the runs newest first
      const runs = async () => {
        const res = await fetch(`${mediator.url!}/admin/jobs`, { headers: { authorization: `Bearer ${ADMIN}` } });
        const body = (await res.json()) as { jobs: { name: string; lastRuns: RunView[] }[] };
        return body.jobs.find((j) => j.name === 'propagate')!.lastRuns;
      };
      const [again, old] = await until('the tick run again', async () => {
        const list = await runs();
        return list.length === 2 && list[0].outcome !== 'running' ? list : undefined;
      });
      const tick = new Date(tickAt).toISOString();
      t.match(again, { trigger: 'schedule', tick, outcome: 'ok' }, 'the tick is run again, to its end');
      t.ok((again.counts?.read ?? 0) > 0, 'it read the registry');
      t.match(old, { id: cut!.id, outcome: 'failed', error: ABANDONED }, 'the killed run is closed as abandoned');
      t.equal(old.tick, undefined, 'and gave its tick back');
      t.equal(await mediator.stop('SIGTERM', 60_000), 0);
    },
  );
