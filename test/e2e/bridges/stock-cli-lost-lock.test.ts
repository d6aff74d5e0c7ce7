/**
 * `bridge stock-to-dhis2` whose job lock is lost mid-run (its PostgreSQL session died and another
 * instance took the lock) stops before its next write, as the scheduled run does, and exits 2
 * saying why; both engines. The lock is lost as DHIS2 is first asked for the values the run
 * compares with (lost-lock-cli.ts): every write of the run comes after that answer, so none may
 * be made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openLmisEnv } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { loadSettings } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import { bridgeLosingLock, loseOnFirst } from './lost-lock-cli.js';
import { startStockRig } from './stock-rig.js';

for (const engine of engineCases())
  t.test(
    `${engine.name}: bridge stock-to-dhis2 whose lock is lost mid-run sends nothing more and exits 2`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startStockRig();
      t.teardown(rig.close);
      const dir = mkdtempSync(path.join(tmpdir(), 'stock-lost-lock-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const settings = () =>
        loadSettings({
          DATA_DIR: dir,
          LOG_LEVEL: 'silent',
          AUTH_PASSWORD: 'stock-cli-Xy9',
          DATABASE_URL: db.databaseUrl,
          ...openLmisEnv(rig.lmis.url),
          MSUPPLY_BASE_URL: '',
          OPENMRS_BASE_URL: '',
          DHIS2_BASE_URL: rig.dhis2.url,
          DHIS2_API_TOKEN: SEED_API_TOKEN,
          DHIS2_DATA_SET: 'LkStockMnth',
        } as NodeJS.ProcessEnv);
      // the server's store (the CLI creates none)
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      const lost = new AbortController();
      loseOnFirst(rig.dhis2, '/api/dataValueSets', 'schedule:stockToDhis2', lost);

      const stopped = await bridgeLosingLock(settings, lost, ['stock-to-dhis2', '--period', '2027-01']);
      t.same(stopped.taken, ['schedule:stockToDhis2'], "it ran holding the job's lock");
      t.ok(lost.signal.aborted, 'the lock was lost as DHIS2 was read');
      t.equal(stopped.code, 2, stopped.out);
      t.match(
        stopped.err,
        /^bridge stock-to-dhis2 stopped: the lock schedule:stockToDhis2 was lost mid-run \(its session died; another instance holds it now\).*nothing more was sent/m,
      );
      t.equal(rig.dhis2.state.imports.length, 0, 'nothing sent to DHIS2 after the lock was lost');
      t.same(await store.listJobs(), [], 'nothing queued either');

      // the lock kept: the same run sends both org units
      const run = await bridgeLosingLock(settings, new AbortController(), ['stock-to-dhis2', '--period', '2027-01']);
      t.equal(run.code, 0, run.err);
      t.match(run.out, /202701: 2 org units sent/);
    },
  );
