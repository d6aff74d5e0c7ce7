/**
 * `bridge rts-to-msupply` whose job lock is lost mid-run (its PostgreSQL session died and another
 * instance took the lock) stops before its next requisition, as the scheduled run does, and exits
 * 2 saying why; both engines. The lock is lost as DHIS2 is first asked for the completed
 * requisitions (lost-lock-cli.ts): every write of the run comes after that answer.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { envOf } from '../../support/cli-process.js';
import { engineCases } from '../../support/outbox-engines.js';
import { loadSettings } from '../../../src/config/load.js';
import { openStore } from '../../../src/store/index.js';
import { bridgeLosingLock, loseOnFirst } from './lost-lock-cli.js';
import { SUPPLYING_STORES, raiseRequisitions, responses, startRtsSandboxes } from './rts-rig.js';

const root = path.resolve(import.meta.dirname, '../../..');

for (const engine of engineCases())
  t.test(
    `${engine.name}: bridge rts-to-msupply whose lock is lost mid-run creates nothing and exits 2`,
    { skip: engine.skip },
    async (t) => {
      const sb = await startRtsSandboxes();
      const dir = mkdtempSync(path.join(tmpdir(), 'rts-lost-lock-'));
      t.teardown(async () => {
        await sb.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      // the shipped mappings with the rig's supplying stores in routing.json, as rts-cli.test.ts has them
      const mappings = path.join(dir, 'mappings');
      cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
      const routing = JSON.parse(readFileSync(path.join(mappings, 'routing.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(
        path.join(mappings, 'routing.json'),
        JSON.stringify({ ...routing, supplyingStores: SUPPLYING_STORES }),
      );
      const settings = () =>
        loadSettings({
          ...envOf(sb.settings),
          MAPPINGS_DIR: mappings,
          DATA_DIR: dir,
          DATABASE_URL: db.databaseUrl,
          LOG_LEVEL: 'silent',
          AUTH_MODE: 'off',
          OPENLMIS_BASE_URL: '',
          OPENMRS_BASE_URL: '',
          OUTBOX_DEADLINE_MS: '10000',
        } as NodeJS.ProcessEnv);
      // the server's store (the CLI creates none)
      const store = await openStore({ databaseUrl: db.databaseUrl });
      t.teardown(() => store.close());
      await raiseRequisitions(sb.dhis2, 3);
      const lost = new AbortController();
      loseOnFirst(sb.dhis2, '/api/tracker/events', 'schedule:rtsToMsupply', lost);

      const stopped = await bridgeLosingLock(settings, lost, ['rts-to-msupply', '--json']);
      t.same(stopped.taken, ['schedule:rtsToMsupply'], "it ran holding the job's lock");
      t.ok(lost.signal.aborted, 'the lock was lost as the requisitions were read');
      t.equal(stopped.code, 2, stopped.out);
      t.match(
        stopped.err,
        /^bridge rts-to-msupply stopped: the lock schedule:rtsToMsupply was lost mid-run \(its session died; another instance holds it now\).*nothing more was sent/m,
      );
      t.equal(responses(sb.ms).length, 0, 'no response requisition created after the lock was lost');
      t.equal(await store.getCursor('bridge.rtsToMsupply.requisitions'), undefined, 'its mark not moved');

      // the lock kept: the same run creates the three
      const run = await bridgeLosingLock(settings, new AbortController(), ['rts-to-msupply', '--json']);
      t.equal(run.code, 0, run.err);
      t.match(JSON.parse(run.out), { read: 3, created: 3, rejected: 0 });
      t.equal(responses(sb.ms).length, 3);
    },
  );
