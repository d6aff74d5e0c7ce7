/**
 * DHIS2 repeating the mediator's credentials back on its write paths beyond data values: tracker
 * imports (an RTS stock count as an event, a consignment as events: `POST /api/tracker`, and as
 * an async job polled at `/api/tracker/jobs/{id}`) and metadata (an org unit created or updated,
 * `POST`/`PUT /api/organisationUnits`, from a Location pushed to the FHIR API or to the registry
 * feed, whose propagation state and admin view say why it failed). Each path meets the sandbox's
 * `echoSecrets` fault (the Basic header and its decoded pair in the WebMessage, a WWW-Authenticate
 * challenge, a redirect's Location) refused at once, accepted (202) and then retried or
 * dead-lettered, and mid-flow, on the job poll after DHIS2 took the import. No form of the password
 * or token may reach a direct answer, an OpenHIM envelope or transaction update, the log, the
 * admin outbox and propagation views or the stored jobs, and the masked echo must have reached each.
 */
import t, { type Test } from 'tap';
import { CONSIGNMENT, RTS, startDhis2Sandbox, type Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { assertNoLeak, startEchoRig } from '../../support/echo-secrets-rig.js';
import { CONDOM_GTIN as CONDOM, marchStockCount } from '../../support/march-stock-count.js';
import { linkAsDataManager } from '../../support/linked-facility.js';
import { until } from '../../support/net.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { wireForms } from '../../support/secret-forms.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';

const USER = 'mediator';
// its Basic pair's base64 holds `+` and `/`, which a URL percent-encodes
const PASSWORD = 'cnryWWdhis2 pw"&+/%?>????';
const TOKEN = 'd2pat_cnryVVdhis2Token0000000000B7654321098';
const DMPA = '10860012300027';

const echo = (sb: Dhis2Sandbox, method: string, path: string, status: number, times = 1) =>
  sb.faults.add({ method, path, times, action: { type: 'echoSecrets', status } });

const hits = (sb: Dhis2Sandbox, id: string) => sb.faults.list().find((f) => f.id === id)!.hits;

/** A consignment received at `location`: events of the consignment program. */
function consignment(shipment: string, location: string, packs: number) {
  // two lines, two events: more than dhis2.trackerAsyncThreshold, an async job polled
  const lines = [CONDOM, DMPA].map((gtin) => ({ gtin, value: packs, unit: 'pack' as const }));
  return consignmentDelivery({ shipment, location, lines });
}

/** A registry facility under `parent`: an org unit created (POST) or updated (PUT). */
function facility(id: string, code: string, name: string, parent: string) {
  return {
    resourceType: 'Location',
    id,
    identifier: [{ system: 'https://mfr.example.org/facility', value: code }],
    status: 'active',
    name,
    partOf: { reference: `Location/${parent}` },
  };
}

/** The RTS program (stock counts written as its events) and the consignment program, as settings. */
const PROGRAMS = {
  DHIS2_DATA_SET: '',
  DHIS2_RTS_PROGRAM: RTS.program,
  DHIS2_STOCK_TARGET: 'rts',
  ...CONSIGNMENT_ENV,
};
const WRITES = { stock: { default: 'dhis2' }, deliveries: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

/** A fresh DHIS2 sandbox whose mediator user has PASSWORD, and the echo rig on it with Basic auth. */
async function basicRig(t: Test, engine: EngineCase, flows: Record<string, unknown>, env: Record<string, string>) {
  const sb = await startDhis2Sandbox();
  t.teardown(sb.close);
  sb.state.users.find((u) => u.username === USER)!.password = PASSWORD;
  const rig = await startEchoRig(t, engine, flows, {
    DHIS2_BASE_URL: sb.url,
    DHIS2_USERNAME: USER,
    DHIS2_PASSWORD: PASSWORD,
    OUTBOX_MAX_ATTEMPTS: '3',
    ...env,
  });
  return { sb, rig, ids: sb.state.summary().orgUnits };
}

for (const engine of engineCases()) {
  t.test(
    `DHIS2 tracker and metadata writes echoing Basic credentials (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { sb, rig, ids } = await basicRig(t, engine, WRITES, {
        ...PROGRAMS,
        DHIS2_JOB_POLL_MS: '20',
        DHIS2_TRACKER_ASYNC_THRESHOLD: '1',
      });
      const shipment = (ref: string) =>
        [...sb.tracker.events.values()].filter((e) =>
          e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === ref),
        );
      const deadJobs = async () => (await rig.mediator.store.listJobs({ status: 'dead' })).length;

      // tracker, refused at once: a stock count (with stockTarget rts, one RTS event), the echo masked in its reason
      const refused = echo(sb, 'POST', '/api/tracker', 400);
      const count = await rig.direct(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(ids['LK-HC-101'], 'RTS-ECHO-1', 70),
      );
      t.equal(hits(sb, refused.id), 1, 'the RTS event import echoed');
      t.equal(count.status, 422, 'the refused count reaches the client');
      t.match(count.body.issue[0].diagnostics, /POST \/api\/tracker answered 400 refused Authorization: Basic \*+/);
      const conflict = echo(sb, 'POST', '/api/tracker', 409);
      const again = await rig.direct(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(ids['LK-HC-101'], 'RTS-ECHO-2', 71),
      );
      t.equal(hits(sb, conflict.id), 1, `a 409 echo of no import report (${again.status})`);
      t.ok(again.status >= 400, 'refused');
      const moved = echo(sb, 'POST', '/api/tracker', 302);
      const redirected = await rig.viaOpenHim(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(ids['LK-HC-101'], 'RTS-ECHO-3', 72),
        'rts-302',
      );
      t.equal(hits(sb, moved.id), 1, `the import redirected to the login page (${redirected.clientStatus})`);
      t.equal(redirected.clientStatus, 502, 'a login page in front of the API: 502');

      // tracker, accepted and dead-lettered: DHIS2 keeps failing the RTS import with an echo
      const down = echo(sb, 'POST', '/api/tracker', 503, 100);
      const accepted = await rig.viaOpenHim(
        'POST',
        '/fhir/R5/InventoryReport',
        marchStockCount(ids['LK-HC-102'], 'RTS-ECHO-4', 73),
        'rts-dead',
      );
      t.equal(accepted.clientStatus, 202, 'accepted while DHIS2 fails');
      await rig.deadLetterReported('rts-dead');
      t.ok(hits(sb, down.id) >= 3, `dead after ${hits(sb, down.id)} echoed attempts`);
      sb.faults.clear();

      // tracker, mid-flow: DHIS2 took the consignment's import job, its notifications echo a 5xx
      const polled = echo(sb, 'GET', '/api/tracker/jobs/*', 500, 2);
      const received = await rig.viaOpenHim(
        'POST',
        '/fhir/R5/SupplyDelivery',
        consignment('SHP-ECHO-1', ids['LK-HC-103'], 5),
        'consignment-poll-500',
      );
      t.equal(hits(sb, polled.id), 2, 'the job poll echoed twice');
      // 201 when the call's own retries outlast the echoes; 202 if the outbox deadline came first under load
      t.ok([201, 202].includes(received.clientStatus), `then the job was done (${received.clientStatus})`);
      await until('the consignment in DHIS2', async () => shipment('SHP-ECHO-1').length === 2 || undefined, 30_000);
      // …or its report echoes a 5xx for the whole first attempt: accepted (202), written by the retry
      const report = echo(sb, 'GET', '/api/tracker/jobs/*/report', 503, 3);
      const queued = await rig.viaOpenHim(
        'POST',
        '/fhir/R5/SupplyDelivery',
        consignment('SHP-ECHO-2', ids['LK-HC-102'], 6),
        'consignment-report-503',
      );
      t.equal(queued.clientStatus, 202, 'accepted, to be retried');
      await until('OpenHIM told the retried consignment was written', async () =>
        rig.openhim.state.transactionUpdates.get(rig.transactionIdOf('consignment-report-503'))?.find(Boolean),
      );
      t.equal(hits(sb, report.id), 3, 'the report echoed all three times');
      t.equal(shipment('SHP-ECHO-2').length, 2, 'its two events in DHIS2, once');
      const jobs = await rig.mediator.store.listJobs({ status: 'dead' });
      t.equal(jobs.length, 1, 'only the RTS count dead-lettered so far');
      sb.faults.clear();

      // metadata, refused at once: a registry facility's org unit creation (POST) echoes a 400
      const creation = echo(sb, 'POST', '/api/organisationUnits', 400);
      const parent = ids['LKL-N-TSG'];
      const refusedUnit = await rig.direct(
        'PUT',
        '/fhir/Location/mfr-echo-1',
        facility('mfr-echo-1', 'MFR-ECHO-1', 'Echo Dispensary', parent),
      );
      t.equal(hits(sb, creation.id), 1, 'the org unit creation echoed');
      t.ok(refusedUnit.status >= 400 && refusedUnit.status < 500, `refused (${refusedUnit.status})`);

      // metadata, accepted and dead-lettered: the org unit's update (PUT) keeps failing with an echo
      const unit = facility('mfr-echo-2', 'MFR-ECHO-2', 'Echo Health Post', parent);
      const created = await rig.direct('PUT', '/fhir/Location/mfr-echo-2', unit);
      t.equal(created.status, 201, 'the org unit created');
      const updating = echo(sb, 'PUT', '/api/organisationUnits/*', 503, 100);
      const renamed = await rig.viaOpenHim(
        'PUT',
        '/fhir/Location/mfr-echo-2',
        { ...unit, name: 'Echo Health Centre' },
        'org-unit-dead',
      );
      t.equal(renamed.clientStatus, 202, 'accepted while DHIS2 fails');
      await until('the org unit update dead-lettered', async () => (await deadJobs()) >= 2 || undefined, 30_000);
      await rig.deadLetterReported('org-unit-dead');
      t.ok(hits(sb, updating.id) >= 3, `dead after ${hits(sb, updating.id)} echoed attempts`);

      t.ok((await rig.gatherTheRest()) >= 6, 'the jobs read through the admin API');
      assertNoLeak(t, rig, wireForms(PASSWORD, USER), ['direct', 'envelope', 'log', 'openhim', 'admin']);
    },
  );
}

t.test('DHIS2 tracker and metadata writes echoing the personal access token never get it out', async (t) => {
  const engine = engineCases().find((e) => e.name === 'sqlite')!;
  const sb = await startDhis2Sandbox();
  t.teardown(sb.close);
  sb.state.tokens.set(TOKEN, USER);
  const rig = await startEchoRig(t, engine, WRITES, { DHIS2_BASE_URL: sb.url, DHIS2_API_TOKEN: TOKEN, ...PROGRAMS });
  const ids = sb.state.summary().orgUnits;
  const refused = echo(sb, 'POST', '/api/tracker', 400);
  const count = await rig.direct(
    'POST',
    '/fhir/R5/InventoryReport',
    marchStockCount(ids['LK-HC-103'], 'RTS-ECHO-T1', 80),
  );
  t.equal(hits(sb, refused.id), 1, `the RTS import echoed the token (${count.status})`);
  const odd = echo(sb, 'POST', '/api/tracker', 200);
  const received = await rig.viaOpenHim(
    'POST',
    '/fhir/R5/SupplyDelivery',
    consignment('SHP-ECHO-T1', ids['LK-HC-103'], 4),
    'consignment-token-200',
  );
  t.equal(hits(sb, odd.id), 1, `a 2xx echo of another shape (${received.clientStatus})`);
  sb.faults.clear();
  const moved = echo(sb, 'POST', '/api/organisationUnits', 302);
  const created = await rig.viaOpenHim(
    'PUT',
    '/fhir/Location/mfr-echo-t1',
    facility('mfr-echo-t1', 'MFR-ECHO-T1', 'Echo Token Clinic', ids['LKL-N-TSG']),
    'org-unit-token-302',
  );
  t.equal(hits(sb, moved.id), 1, `the org unit creation redirected with the token (${created.clientStatus})`);
  await rig.gatherTheRest();
  assertNoLeak(t, rig, wireForms(TOKEN), ['direct', 'envelope', 'log']);
});

for (const engine of engineCases()) {
  t.test(
    `DHIS2 echoing Basic credentials to registry propagation (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { sb, rig, ids } = await basicRig(t, engine, { facilities: { default: 'dhis2' } }, {});
      await linkAsDataManager(rig.mediator.store, 'dhis2', ids['LK-HC-104'], 'mfr-echo-prop-1');
      await linkAsDataManager(rig.mediator.store, 'dhis2', ids['LK-HC-103'], 'mfr-echo-prop-2');
      const pushed = (id: string, name: string) => ({
        resourceType: 'Location',
        id,
        identifier: [{ system: 'https://mfr.example.org/facility', value: id.toUpperCase() }],
        status: 'active',
        name,
      });
      const stateOf = async (registryId: string) =>
        (await rig.mediator.store.getPropagation(registryId, 'dhis2'))?.state;

      // a change DHIS2 refuses with an echo: failed, the reason shown to operators
      const refused = echo(sb, 'PUT', '/api/organisationUnits/*', 400);
      const taken = await rig.direct(
        'PUT',
        '/registry/Location/mfr-echo-prop-1',
        pushed('mfr-echo-prop-1', 'Echo One'),
      );
      t.equal(taken.status, 200, 'the feed took the change');
      await until(
        'the refused change failed',
        async () => (await stateOf('mfr-echo-prop-1')) === 'failed' || undefined,
      );
      t.equal(hits(sb, refused.id), 1, 'the org unit update echoed');

      // a change DHIS2 keeps failing with an echo: its job dead-lettered, its last error shown
      const down = echo(sb, 'PUT', '/api/organisationUnits/*', 503, 100);
      await rig.direct('PUT', '/registry/Location/mfr-echo-prop-2', pushed('mfr-echo-prop-2', 'Echo Two'));
      await until(
        'the change dead-lettered',
        async () => (await rig.mediator.store.listJobs({ status: 'dead' })).length || undefined,
        30_000,
      );
      t.ok(hits(sb, down.id) >= 3, `dead after ${hits(sb, down.id)} echoed attempts`);
      const status = await rig.adminView('/admin/propagation');
      t.same(
        status.items.map((i: any) => i.state),
        ['failed', 'failed'],
        'both changes read as failed, each with why',
      );
      for (const item of status.items)
        t.match(item.reason, /answered (400|503) refused Authorization: Basic \*+; user mediator password \*+/);
      t.match(
        status.items.find((i: any) => i.registryId === 'mfr-echo-prop-2'),
        { jobStatus: 'dead', lastError: /\*{4}/ },
      );
      for (const id of ['mfr-echo-prop-1', 'mfr-echo-prop-2'])
        rig.emitted.add(`store propagation ${id}`, await rig.mediator.store.getPropagation(id, 'dhis2'));
      await rig.gatherTheRest();
      assertNoLeak(t, rig, wireForms(PASSWORD, USER), ['log', 'admin', 'store']);
    },
  );
}
