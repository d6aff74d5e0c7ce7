/**
 * The secrets canary: known values planted in every secret setting (and in the user names that
 * form Basic pairs with them), the real mediator (startMediator) driven through the real OpenLMIS
 * connector against the OpenLMIS sandbox, which echoes the credentials it is sent (the
 * `echoSecrets` fault: raw, base64 `client:secret`, JSON-escaped, in bodies and in
 * WWW-Authenticate), with OpenHIM transaction headers and the OpenHIM sandbox receiving the
 * registration, heartbeats and async transaction updates. The log is captured at trace level.
 * Then no canary, in any form, may appear in any response, envelope, orchestration, transaction
 * update, log line, /metrics, /ready, /admin view or stored outbox row; also after a live change
 * of secrets from OpenHIM, for the previous values as well as the new ones.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../src/main.js';
import { createLogger } from '../../src/platform/logger.js';
import { loadMediatorConfig } from '../../src/openhim/mediator-config.js';
import {
  openhimAdmin,
  routedTransaction,
  startOpenHimSandbox,
  type OpenHimSandbox,
} from '../../sandbox/openhim/index.js';
import { startHarness, type Harness } from '../unit/sandbox/openlmis/helpers.js';
import { orderLine } from '../support/openlmis-e2e.js';
import { engineCases } from '../support/outbox-engines.js';
import { Emitted, wireForms } from '../support/secret-forms.js';

const MASK = '**********';

/** Each canary starts with a marker found nowhere else, so even a cut or partial leak is caught. */
const CANARY = {
  inboundPassword: 'cnryAAinbound "pw+/&=',
  bearerToken: 'cnryBBbearer-tok/+9',
  adminToken: 'cnryCCadmin-tok-7Hq3',
  openhimPassword: 'cnryDDopenhim "pw/+',
  lmisPassword: 'cnryEElmis pw "&+/%',
  lmisClientSecret: 'cnryFFclient/+"sec',
  dhis2Password: 'cnryKKdhis2-pw',
  msupplyPassword: 'cnryLLmsupply-pw',
  openmrsPassword: 'cnryMMopenmrs-pw',
  databasePassword: 'cnryNNdb-pw',
  // values pushed later from the OpenHIM console
  newInboundPassword: 'cnryPPnew-inbound "pw',
  newLmisPassword: 'cnryQQnew-lmis pw+/',
};
const USER = {
  inbound: 'route-user',
  openhim: 'root@openhim.org',
  lmis: 'mediator',
  lmisClient: 'canary-client',
  other: 'integration',
};

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Plants the OpenLMIS canaries in the sandbox as the real server's users and clients would hold them. */
function plantLmisCredentials(lmis: Harness): string {
  const seed = lmis.sb.state.store.seed;
  const user = seed.users.find((u) => u.username === USER.lmis)!;
  user.password = CANARY.lmisPassword;
  seed.clients.push({ clientId: USER.lmisClient, secret: CANARY.lmisClientSecret, grants: ['password'] });
  // the sandbox's own API key for the mediator is the planted openlmis.apiKey value
  return seed.apiKeys[0].token;
}

interface Run {
  mediator: RunningMediator;
  lmis: Harness;
  openhim: OpenHimSandbox;
  logLines: string[];
  apiKey: string;
  dataDir: string;
  databaseUrl?: string;
  close(): Promise<void>;
}

async function startRun(databaseUrl: string | undefined): Promise<Run> {
  const lmis = await startHarness();
  const apiKey = plantLmisCredentials(lmis);
  const openhim = await startOpenHimSandbox({
    users: [{ email: USER.openhim, password: CANARY.openhimPassword, admin: true }],
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'secrets-canary-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const settings = loadSettings({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'trace',
    AUTH_USERNAME: USER.inbound,
    AUTH_PASSWORD: CANARY.inboundPassword,
    AUTH_BEARER_TOKEN: CANARY.bearerToken,
    ADMIN_TOKEN: CANARY.adminToken,
    OPENHIM_API_URL: openhim.url,
    OPENHIM_USERNAME: USER.openhim,
    OPENHIM_PASSWORD: CANARY.openhimPassword,
    OPENHIM_HEARTBEAT_MS: '100',
    OPENLMIS_BASE_URL: lmis.sb.url,
    OPENLMIS_USERNAME: USER.lmis,
    OPENLMIS_PASSWORD: CANARY.lmisPassword,
    OPENLMIS_CLIENT_ID: USER.lmisClient,
    OPENLMIS_CLIENT_SECRET: CANARY.lmisClientSecret,
    OPENLMIS_API_KEY: apiKey,
    DHIS2_USERNAME: USER.other,
    DHIS2_PASSWORD: CANARY.dhis2Password,
    MSUPPLY_USERNAME: USER.other,
    MSUPPLY_PASSWORD: CANARY.msupplyPassword,
    OPENMRS_USERNAME: USER.other,
    OPENMRS_PASSWORD: CANARY.openmrsPassword,
    OUTBOX_DEADLINE_MS: '8000',
    OUTBOX_BACKOFF_BASE_MS: '50',
    OUTBOX_BACKOFF_CAP_MS: '200',
    OUTBOX_SETTLE_MS: '100',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  } as NodeJS.ProcessEnv);
  const mediator = await startMediator(settings, { logger: createLogger('trace', sink) });
  return {
    mediator,
    lmis,
    openhim,
    logLines,
    apiKey,
    dataDir,
    databaseUrl,
    async close() {
      await mediator.stop();
      await lmis.sb.close();
      await openhim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A request as OpenHIM core sends it: the route's Basic credentials and a transaction id. */
/** The OpenHIM transaction id (an ObjectId, as core makes them) of the request a test names `name`. */
function transactionIdOf(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 24);
}

async function viaOpenHim(
  run: Run,
  emitted: Emitted,
  method: string,
  url: string,
  body: unknown,
  name: string,
  password = CANARY.inboundPassword,
) {
  const txId = transactionIdOf(name);
  // as core's router: the transaction is stored before the mediator is called, completed with its envelope
  const routed = { method, path: url.split('?')[0] };
  run.openhim.state.transactions.set(txId, routedTransaction(txId, routed));
  const res = await fetch(`${run.mediator.url}${url}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${USER.inbound}:${password}`).toString('base64')}`,
      'x-openhim-transactionid': txId,
      accept: 'application/fhir+json',
      ...(body ? { 'content-type': 'application/fhir+json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  emitted.add(`response ${method} ${url} (${txId}) headers`, Object.fromEntries(res.headers));
  emitted.add(`envelope ${method} ${url} (${txId})`, text);
  let envelope: any;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = undefined;
  }
  if (envelope) run.openhim.state.transactions.set(txId, routedTransaction(txId, routed, envelope));
  const clientBody = (() => {
    try {
      return JSON.parse(envelope?.response?.body ?? '');
    } catch {
      return undefined;
    }
  })();
  const why = clientBody?.issue?.[0]?.diagnostics ?? text.slice(0, 300);
  return {
    status: res.status,
    text,
    envelope,
    clientBody,
    why,
    clientStatus: envelope?.response?.status as number | undefined,
  };
}

async function plain(run: Run, emitted: Emitted, url: string, authorization: string) {
  const res = await fetch(`${run.mediator.url}${url}`, { headers: { authorization } });
  const text = await res.text();
  emitted.add(`response GET ${url} headers`, Object.fromEntries(res.headers));
  emitted.add(`response GET ${url}`, text);
  return { status: res.status, text };
}

function echo(lmis: Harness, method: string, pathPattern: string, status: number, times = 1) {
  return lmis.sb.faults.add({ method, path: pathPattern, times, action: { type: 'echoSecrets', status } });
}

async function storedRows(run: Run, emitted: Emitted): Promise<number> {
  const jobs = await run.mediator.store.listJobs({});
  for (const job of jobs) {
    emitted.add(`store job ${job.id}`, await run.mediator.store.getJob(job.id));
    emitted.add(`store steps ${job.id}`, await run.mediator.store.listSteps(job.id));
  }
  emitted.add('store audit', await run.mediator.store.listAudit({ limit: 10_000 }));
  if (run.databaseUrl) {
    // every row of every table, as PostgreSQL holds it
    const client = new pg.Client({ connectionString: run.databaseUrl });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      for (const { table_name: table } of tables.rows) {
        const rows = await client.query(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
        for (const r of rows.rows) emitted.add(`postgres ${table}`, r.row);
      }
    } finally {
      await client.end();
    }
  } else {
    // the SQLite files byte for byte (main database and its write-ahead log)
    for (const file of readdirSync(run.dataDir))
      emitted.add(`sqlite file ${file}`, readFileSync(path.join(run.dataDir, file)).toString('latin1'));
  }
  return jobs.length;
}

function everyCanaryForm(apiKey: string, databaseUrl: string | undefined): string[] {
  const forms = [
    ...wireForms(CANARY.inboundPassword, USER.inbound),
    ...wireForms(CANARY.bearerToken),
    ...wireForms(CANARY.adminToken),
    ...wireForms(CANARY.openhimPassword, USER.openhim),
    ...wireForms(CANARY.lmisPassword, USER.lmis),
    ...wireForms(CANARY.lmisClientSecret, USER.lmisClient),
    ...wireForms(apiKey),
    ...wireForms(CANARY.dhis2Password, USER.other),
    ...wireForms(CANARY.msupplyPassword, USER.other),
    ...wireForms(CANARY.openmrsPassword, USER.other),
    ...wireForms(CANARY.newInboundPassword, USER.inbound),
    ...wireForms(CANARY.newLmisPassword, USER.lmis),
  ];
  if (databaseUrl) forms.push(...wireForms(databaseUrl), ...wireForms(CANARY.databasePassword));
  return [...new Set(forms)];
}

function withDatabasePassword(url: string): string {
  const u = new URL(url);
  u.password = CANARY.databasePassword;
  return u.toString();
}

for (const engine of engineCases()) {
  t.test(`no planted secret leaves the mediator (${engine.name})`, { skip: engine.skip }, async (t) => {
    const db = engine.name === 'postgres' ? await engine.freshDatabase() : undefined;
    if (db) t.teardown(db.drop);
    // PostgreSQL here trusts local connections: the canary password in the URL is carried, not checked
    const run = await startRun(db ? withDatabasePassword(db.databaseUrl) : undefined);
    t.teardown(() => run.close());
    const { lmis, openhim } = run;
    const emitted = new Emitted();
    const urn = loadMediatorConfig().urn;
    await until('registration with OpenHIM', () => openhim.state.mediators.get(urn));
    emitted.add('openhim registration document', openhim.state.mediators.get(urn));
    const facility = (code: string) => lmis.seed.facilities[code];
    const order = (n: number, code: string) =>
      orderLine({
        order: `CANARY-${engine.name}-${n}`,
        facilityId: facility(code),
        program: 'EM01',
        productCode: 'EM-ORS',
        qty: 10 + n,
      });

    // 1. a good order: the planted credentials are the working ones (login, API key)
    const good = await viaOpenHim(run, emitted, 'POST', '/fhir/SupplyRequest', order(1, 'LK-HC-101'), 'tx-good');
    t.equal(good.clientStatus, 201, `the planted credentials work against the sandbox: ${good.why}`);

    // 2. the upstream refuses for good and echoes the bearer token it got (body and WWW-Authenticate)
    const refusing = echo(lmis, 'POST', '/api/requisitions/initiate', 400);
    const refused = await viaOpenHim(run, emitted, 'POST', '/fhir/SupplyRequest', order(2, 'LK-HC-102'), 'tx-refused');
    t.equal(refused.clientStatus, 422, `a refusal reaches the client: ${refused.why}`);
    t.ok(refusing.id && lmis.sb.faults.list().find((f) => f.id === refusing.id)!.hits === 1, 'the sandbox echoed');
    const refusedCall = refused.envelope.orchestrations.find((o: any) => o.response?.status === 400);
    t.ok(refusedCall, 'the echoing call is an orchestration');
    t.match(refusedCall.response.body, MASK, 'its echoed body is there, masked');
    t.match(
      refusedCall.response.headers['www-authenticate'],
      /error="invalid_token", error_description="\*{10}"/,
      'its challenge is kept, the credential masked',
    );

    // 3. transient twice (202, OpenHIM auto-retry), then refused: the async PUT /transactions/:id carries the echo
    echo(lmis, 'POST', '/api/requisitions/initiate', 503, 2);
    echo(lmis, 'POST', '/api/requisitions/initiate', 400, 1);
    const accepted = await viaOpenHim(run, emitted, 'POST', '/fhir/SupplyRequest', order(3, 'LK-HC-103'), 'tx-async');
    t.equal(accepted.clientStatus, 202, `accepted after a transient failure: ${accepted.why}`);
    const updates = await until('the async transaction update', () =>
      openhim.state.transactionUpdates.get(transactionIdOf('tx-async')),
    );
    t.equal(updates.at(-1)!.status, 'Completed', 'the final status reached OpenHIM');
    t.match(JSON.stringify(updates), MASK, 'the update carried the echoed reason, masked');

    // 4. the token endpoint echoes the client's Basic pair and the password grant's query
    // (a user-token call: expiring the API key would lose it for good)
    lmis.sb.faults.add({ path: '/api/requisitions/**', times: 1, action: { type: 'expireToken' } });
    const tokenEcho = echo(lmis, 'POST', '/api/oauth/token', 500);
    const afterExpiry = await viaOpenHim(
      run,
      emitted,
      'GET',
      `/fhir/SupplyRequest/${good.clientBody?.id}`,
      undefined,
      'tx-login',
    );
    t.ok(
      lmis.sb.faults.list().find((f) => f.id === tokenEcho.id)!.hits === 1,
      `the token endpoint echoed (answer ${afterExpiry.clientStatus})`,
    );

    // 5. a read whose upstream echoes (502 to the client)
    echo(lmis, 'GET', '/api/requisitions/**', 500, 3);
    const read = await viaOpenHim(
      run,
      emitted,
      'GET',
      `/fhir/SupplyRequest/${good.clientBody?.id}`,
      undefined,
      'tx-read',
    );
    t.ok(read.clientStatus! >= 500, `the read failed upstream (${read.clientStatus})`);

    // 6. /ready while the ping echoes; /metrics; the admin views
    // (an upstream debug page repeating the session's credentials in every form they were sent)
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const pingEcho = lmis.sb.faults.add({
      method: 'GET',
      path: '/api/programs',
      times: 1,
      action: {
        type: 'status',
        status: 500,
        body: {
          message: `session: Basic ${b64(`${USER.lmisClient}:${CANARY.lmisClientSecret}`)} grant username=${USER.lmis}&password=${encodeURIComponent(CANARY.lmisPassword)} raw ${CANARY.lmisPassword} key ${run.apiKey}`,
        },
      },
    });
    const ready = await plain(
      run,
      emitted,
      '/ready',
      `Basic ${Buffer.from(`${USER.inbound}:${CANARY.inboundPassword}`).toString('base64')}`,
    );
    t.equal(ready.status, 200, '/ready reports the echoing upstream down, the mediator still serving (degraded)');
    t.match(ready.text, /"status":"down".*\*{10}/, 'with the echoed reason, masked');
    t.equal(lmis.sb.faults.list().find((f) => f.id === pingEcho.id)!.hits, 1, 'the ping was echoed');

    // 7. a live change of secrets from the OpenHIM console; the sandbox learns the new password too
    lmis.sb.state.store.seed.users.find((u) => u.username === USER.lmis)!.password = CANARY.newLmisPassword;
    const admin = openhimAdmin(openhim.url, { email: USER.openhim, password: CANARY.openhimPassword });
    const current = openhim.state.mediators.get(urn)!.config ?? {};
    const set = await admin.setConfig(urn, {
      ...current,
      inboundAuthUsername: USER.inbound,
      inboundAuthPassword: CANARY.newInboundPassword,
      openlmisPassword: CANARY.newLmisPassword,
      logLevel: 'trace',
    });
    t.equal(set.status, 200, set.text);
    await until(
      'the live change applied',
      () => run.mediator.settings()['openlmis.password'] === CANARY.newLmisPassword || undefined,
    );
    const oldInbound = await viaOpenHim(run, emitted, 'GET', '/fhir/Location?_count=1', undefined, 'tx-old-pw');
    t.equal(oldInbound.status, 401, 'the old inbound password stops working at once');
    // new credentials: the connector logs in again, and the token endpoint echoes the NEW password grant
    const newTokenEcho = echo(lmis, 'POST', '/api/oauth/token', 500);
    const newLogin = await viaOpenHim(
      run,
      emitted,
      'POST',
      '/fhir/SupplyRequest',
      order(4, 'LK-HC-104'),
      'tx-new-login',
      CANARY.newInboundPassword,
    );
    t.ok(
      lmis.sb.faults.list().find((f) => f.id === newTokenEcho.id)!.hits === 1,
      `the token endpoint echoed the new credentials (${newLogin.clientStatus}: ${newLogin.why})`,
    );
    // an upstream still repeating the PREVIOUS values (a stale session, a cache)
    lmis.sb.faults.add({
      method: 'POST',
      path: '/api/requisitions/initiate',
      times: 1,
      action: {
        type: 'status',
        status: 400,
        body: {
          message: `stale login ${USER.lmis}:${CANARY.lmisPassword} via ${CANARY.inboundPassword} / ${Buffer.from(`${USER.lmisClient}:${CANARY.lmisClientSecret}`).toString('base64')}`,
        },
        headers: {
          'www-authenticate': `Basic error_description="${Buffer.from(`${USER.lmis}:${CANARY.lmisPassword}`).toString('base64')}"`,
        },
      },
    });
    const stale = await viaOpenHim(
      run,
      emitted,
      'POST',
      '/fhir/SupplyRequest',
      order(5, 'LK-HC-105'),
      'tx-stale',
      CANARY.newInboundPassword,
    );
    t.equal(stale.clientStatus, 422, `the stale echo is refused to the client: ${stale.why}`);
    t.match(
      JSON.parse(stale.envelope.response.body).issue[0].diagnostics,
      MASK,
      'the previous values are masked in the diagnostics',
    );

    // what an operator sees, and what is stored
    const adminAuth = `Bearer ${CANARY.adminToken}`;
    const jobs = await plain(run, emitted, '/admin/outbox/jobs', adminAuth);
    t.equal(jobs.status, 200);
    for (const job of JSON.parse(jobs.text).jobs) await plain(run, emitted, `/admin/outbox/jobs/${job.id}`, adminAuth);
    const metrics = await plain(
      run,
      emitted,
      '/metrics',
      `Basic ${Buffer.from(`${USER.inbound}:${CANARY.newInboundPassword}`).toString('base64')}`,
    );
    t.equal(metrics.status, 200, '/metrics read');
    t.match(
      metrics.text,
      /mediator_upstream_calls_total\{system="openlmis",outcome="server_error"\}/,
      'the echoing calls are counted',
    );
    const rows = await storedRows(run, emitted);
    t.ok(rows >= 4, `${rows} outbox jobs stored`);
    for (const update of openhim.state.transactionUpdates.values()) emitted.add('openhim transaction update', update);
    // what the mediator sent OpenHIM (the console's own config PUTs are not the mediator's)
    for (const call of openhim.state.calls.filter((c) => !/\/config$/.test(c.url)))
      emitted.add(`openhim api call ${call.method} ${call.url}`, call);
    for (const line of run.logLines) emitted.add('log line', line);

    const forms = everyCanaryForm(run.apiKey, run.databaseUrl);
    const leaks = emitted.leaks(forms);
    t.same(
      leaks.map((l) => `${l.where}: ${l.form}`),
      [],
      'no canary in any form anywhere',
    );
    if (leaks.length) for (const l of leaks.slice(0, 5)) t.comment(l.where, emitted.sample(l));
    t.ok(
      emitted.count(/^envelope/) >= 7 && emitted.count(/^log line$/) > 20,
      `scanned ${emitted.items.length} outputs (${emitted.count(/^envelope/)} envelopes, ${emitted.count(/^log line$/)} log lines at trace) for ${forms.length} forms`,
    );
    const masked = emitted.items.filter((i) => i.text.includes(MASK)).map((i) => i.where.split(' ')[0]);
    t.ok(
      ['envelope', 'log', 'openhim', 'response'].every((kind) => masked.includes(kind)),
      `masks seen in: ${[...new Set(masked)].join(', ')}`,
    );
  });
}

t.test(
  'the admin token falls back to the live inbound password: after a change from OpenHIM the old one is refused at once',
  async (t) => {
    const openhim = await startOpenHimSandbox();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'secrets-admin-'));
    const mediator = await startMediator(
      loadSettings({
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        AUTH_PASSWORD: 'first-inbound-pw-1',
        OPENHIM_API_URL: openhim.url,
        OPENHIM_PASSWORD: 'openhim-password',
        OPENHIM_HEARTBEAT_MS: '100',
      } as NodeJS.ProcessEnv),
    );
    t.teardown(async () => {
      await mediator.stop();
      await openhim.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const urn = loadMediatorConfig().urn;
    const adminCall = async (token: string) =>
      (await fetch(`${mediator.url}/admin/outbox/jobs`, { headers: { authorization: `Bearer ${token}` } })).status;
    t.equal(await adminCall('first-inbound-pw-1'), 200, 'no admin.token: the inbound password is the admin token');
    await until('registration', () => openhim.state.mediators.get(urn));
    const admin = openhimAdmin(openhim.url, { email: 'root@openhim.org', password: 'openhim-password' });
    const set = await admin.setConfig(urn, {
      ...(openhim.state.mediators.get(urn)!.config ?? {}),
      inboundAuthPassword: 'second-inbound-pw-2',
    });
    t.equal(set.status, 200, set.text);
    await until('the live change', () => mediator.settings()['auth.password'] === 'second-inbound-pw-2' || undefined);
    t.equal(await adminCall('first-inbound-pw-1'), 401, 'the old password is no admin token any more');
    t.equal(await adminCall('second-inbound-pw-2'), 200, 'the new one is');
  },
);
