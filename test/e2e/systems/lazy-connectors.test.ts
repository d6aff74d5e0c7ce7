/**
 * A connector's code is loaded only when the settings turn its system on (issue 18: start-up to
 * /health). The real `serve` command starts with no system configured and a module hook records
 * every module it loads: no connector, no undici, no registry client, no matcher. Then an operator turns OpenLMIS on from the
 * OpenHIM console (OpenHIM sandbox, live config on the heartbeat): the OpenLMIS connector is loaded
 * and works against the OpenLMIS sandbox (/ready logs in with its credentials, a Location search is
 * served from its facilities), and the other systems' code is still not loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { DEFAULT_OPENHIM_USER, openhimAdmin, startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { startOpenLmisSandbox } from '../../../sandbox/openlmis/index.js';
import { loadMediatorConfig } from '../../../src/openhim/mediator-config.js';
import { serveRecordingModules } from '../../support/module-recorder.js';
import { until } from '../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../..');
const PASSWORD = 'lazy-connectors-secret';
const SYSTEMS = ['openlmis', 'msupply', 'dhis2', 'openmrs'];

interface Readiness {
  status: string;
  checks: { name: string; status: string }[];
}

t.test('a system turned on live from OpenHIM loads its connector then; the others stay unloaded', async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'lazy-connectors-'));
  const openhim = await startOpenHimSandbox();
  const lmis = await startOpenLmisSandbox();
  t.teardown(async () => {
    await lmis.close();
    await openhim.close();
    rmSync(work, { recursive: true, force: true });
  });
  const { port, child, exited, stderr, loaded } = await serveRecordingModules(t, work, {
    AUTH_PASSWORD: PASSWORD,
    OPENHIM_API_URL: openhim.url,
    OPENHIM_PASSWORD: DEFAULT_OPENHIM_USER.password,
    OPENHIM_HEARTBEAT_MS: '50',
  });
  const base = `http://127.0.0.1:${port}`;
  const authorization = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  const get = (url: string) => fetch(`${base}${url}`, { headers: { authorization } });
  const connectorLoaded = (system: string) =>
    loaded().includes(pathToFileURL(path.join(root, `src/systems/${system}/index.ts`)).href);
  const undiciLoaded = () => loaded().some((u) => u.includes('/node_modules/undici/'));

  await until('/health 200', async () => (await fetch(`${base}/health`)).status === 200, 120_000);
  const urn = loadMediatorConfig().urn;
  await until('registered with OpenHIM', async () => openhim.state.mediators.has(urn), 30_000);
  t.ok(loaded().includes(pathToFileURL(path.join(root, 'src/main.ts')).href), 'the recorder saw the mediator load');
  for (const system of SYSTEMS)
    t.notOk(connectorLoaded(system), `no system configured: the ${system} connector is not loaded`);
  t.notOk(undiciLoaded(), 'nor undici');
  // neither what only a job, the console or an OpenHIM transaction update uses
  for (const rel of [
    'src/registry/mfr/client.ts',
    'src/openhim/transaction-updates.ts',
    'src/registry/reconcile-run.ts',
    'src/registry/match/matcher.ts',
    'src/registry/match/prepare.ts',
    'src/registry/facility-list.ts',
  ])
    t.notOk(loaded().includes(pathToFileURL(path.join(root, rel)).href), `${rel} is not loaded before its first use`);
  t.notOk(
    loaded().some((u) => u.includes('/node_modules/papaparse/')),
    'nor papaparse',
  );
  const before = (await (await get('/ready')).json()) as Readiness;
  t.same(
    before.checks.map((c) => c.name),
    ['store', 'openhim'],
    '/ready checks the store and reports OpenHIM registration; no connector',
  );

  const admin = openhimAdmin(openhim.url, DEFAULT_OPENHIM_USER);
  const shown = (await admin.get(urn)).json<{ config: Record<string, unknown> }>().config;
  const res = await admin.setConfig(urn, {
    ...shown,
    openlmisBaseUrl: lmis.url,
    openlmisUsername: 'mediator',
    openlmisPassword: 'password',
    openlmisClientSecret: 'changeme',
  });
  t.equal(res.status, 200, `the console accepts the change (${res.text})`);

  await until(
    'OpenLMIS in /ready',
    async () => {
      const ready = (await (await get('/ready')).json()) as Readiness;
      return ready.checks.some((c) => c.name === 'openlmis');
    },
    60_000,
  );
  const ready = await get('/ready');
  const body = (await ready.json()) as Readiness;
  t.equal(ready.status, 200, `ready once OpenLMIS is on: ${JSON.stringify(body)}`);
  t.match(
    body.checks,
    [
      { name: 'store', status: 'ok' },
      { name: 'openlmis', status: 'ok' },
    ],
    'its login succeeds',
  );
  t.ok(connectorLoaded('openlmis'), 'the OpenLMIS connector was loaded by the change');
  t.ok(undiciLoaded(), 'and undici with it');
  for (const system of SYSTEMS.slice(1))
    t.notOk(connectorLoaded(system), `the ${system} connector is still not loaded`);

  const search = await get('/fhir/Location?_count=5');
  const bundle = (await search.json()) as { resourceType: string; entry?: unknown[] };
  t.equal(search.status, 200, 'a Location search is served through the connector');
  t.equal(bundle.resourceType, 'Bundle');
  t.ok((bundle.entry?.length ?? 0) > 0, 'with the sandbox facilities');

  child.kill('SIGTERM');
  await exited;
  t.equal(child.exitCode, 0, `serve stopped cleanly (${stderr().slice(0, 500)})`);
});
