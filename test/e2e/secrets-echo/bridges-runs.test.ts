/**
 * The bridges run as scheduled jobs (POST /admin/jobs/{name}/run, as the console's button and an
 * operator's script run them) against sandboxes repeating the mediator's credentials back (their
 * `echoSecrets` fault). stock → DHIS2: DHIS2 refusing each facility's values (400) and failing
 * them (5xx), its words kept in the run's detail per facility. RTS → mSupply: DHIS2 refusing the
 * requisitions' read, Open mSupply failing its login and the shipments' read, each a failed run
 * whose error is recorded. No form of a password or token may reach the manual run's answer, GET
 * /admin/jobs, the stored job runs, the outbox jobs, the audit or the log, and the masked echo
 * must have reached the run's answer and the log.
 */
import t from 'tap';
import type { Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import type { MsupplySandbox } from '../../../sandbox/msupply/index.js';
import { envOf } from '../../support/cli-process.js';
import { assertNoLeak, startEchoRig, type EchoRig } from '../../support/echo-secrets-rig.js';
import { openLmisEnv } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import { wireForms } from '../../support/secret-forms.js';
import { raiseRequisitions, startRtsSandboxes } from '../bridges/rts-rig.js';
import { startStockRig } from '../bridges/stock-rig.js';

const USER = 'mediator';
// its Basic pair's base64 holds `+` and `/`, which a URL percent-encodes
const DHIS2_PASSWORD = 'cnryBRdhis2 pw"&+/%?>????';
const DHIS2_TOKEN = 'd2pat_cnryBQdhis2Token0000000000B1234567890';
const MSUPPLY_PASSWORD = 'cnryBSmsupply pw"&+/%??>???';

const dhis2Echo = (sb: Dhis2Sandbox, method: string, p: string, status: number, times = 1000) =>
  sb.faults.add({ method, path: p, times, action: { type: 'echoSecrets', status } });
const msupplyEcho = (ms: MsupplySandbox, operation: string, status: number, times = 1000) =>
  ms.faults.add({ operation, times, action: { type: 'echoSecrets', status } });

/** One run of `job` by hand through the admin API, and the stored runs of it, kept to be scanned. */
async function runJob(rig: EchoRig, job: string) {
  const answer = await rig.adminView(`/admin/jobs/${job}/run`, 'POST');
  await rig.adminView('/admin/jobs?limit=50');
  rig.emitted.add(`store runs ${job}`, await rig.mediator.store.listJobRuns(job, 50));
  return answer;
}

for (const engine of engineCases()) {
  t.test(
    `stock → DHIS2 run as a job, DHIS2 echoing Basic credentials (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const sb = await startStockRig();
      t.teardown(sb.close);
      sb.dhis2.state.users.find((u) => u.username === USER)!.password = DHIS2_PASSWORD;
      const rig = await startEchoRig(t, engine, undefined, {
        ...openLmisEnv(sb.lmis.url),
        DHIS2_BASE_URL: sb.dhis2.url,
        DHIS2_USERNAME: USER,
        DHIS2_PASSWORD,
        DHIS2_DATA_SET: 'LkStockMnth',
        SCHEDULE_STOCK_TO_DHIS2: 'off',
      });
      const refused = dhis2Echo(sb.dhis2, 'POST', '/api/dataValueSets', 400);
      const first = await runJob(rig, 'stockToDhis2');
      t.ok(sb.dhis2.faults.list().find((f) => f.id === refused.id)!.hits >= 1, 'the values refused with an echo');
      t.match(JSON.stringify(first), /DHIS2 refused the values: .*Basic \*+/, 'the refusal in the run');
      sb.dhis2.faults.clear();
      const failing = dhis2Echo(sb.dhis2, 'POST', '/api/dataValueSets', 500);
      await runJob(rig, 'stockToDhis2');
      t.ok(sb.dhis2.faults.list().find((f) => f.id === failing.id)!.hits >= 1, 'the values failed with an echo');
      sb.dhis2.faults.clear();
      dhis2Echo(sb.dhis2, 'GET', '/api/dataSets', 400);
      await runJob(rig, 'stockToDhis2');
      sb.dhis2.faults.clear();
      await rig.gatherTheRest();
      assertNoLeak(t, rig, wireForms(DHIS2_PASSWORD, USER), ['admin', 'store', 'log']);
    },
  );

  t.test(
    `RTS → mSupply run as a job, DHIS2 and Open mSupply echoing (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const sb = await startRtsSandboxes();
      t.teardown(sb.close);
      sb.dhis2.state.tokens.set(DHIS2_TOKEN, USER);
      sb.ms.state.users.get(USER)!.password = MSUPPLY_PASSWORD;
      const rig = await startEchoRig(t, engine, undefined, {
        ...envOf(sb.settings),
        DHIS2_API_TOKEN: DHIS2_TOKEN,
        MSUPPLY_PASSWORD,
        SCHEDULE_RTS_TO_MSUPPLY: 'off',
      });
      // requisitions to read: the run goes on to Open mSupply
      await raiseRequisitions(sb.dhis2, 2);
      const cases: [string, () => { id: string | number }][] = [
        // first, the mediator's first call to Open mSupply: its login
        ['mSupply login failing', () => msupplyEcho(sb.ms, 'authToken', 500)],
        ['requisitions read refused', () => dhis2Echo(sb.dhis2, 'GET', '/api/tracker/events', 400)],
        ['shipments read refused', () => msupplyEcho(sb.ms, 'invoices', 400)],
      ];
      for (const [what, echo] of cases) {
        sb.dhis2.faults.clear();
        sb.ms.faults.clear();
        const fault = echo();
        const answer = await runJob(rig, 'rtsToMsupply');
        const hits = [...sb.dhis2.faults.list(), ...sb.ms.faults.list()].find((f) => f.id === fault.id)?.hits ?? 0;
        t.ok(hits >= 1, `${what}: echoed`);
        t.match(JSON.stringify(answer), /\*{10}/, `${what}: the masked echo in the run's answer`);
      }
      await rig.gatherTheRest();
      assertNoLeak(
        t,
        rig,
        [...wireForms(DHIS2_TOKEN), ...wireForms(MSUPPLY_PASSWORD, USER)],
        ['admin', 'store', 'log'],
      );
    },
  );
}
