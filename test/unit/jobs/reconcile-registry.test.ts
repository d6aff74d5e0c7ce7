/**
 * The reconcile job with registry.url set: the registry is read through its client from an mCSD
 * directory (sandbox/mfr), facilities only, and matched against the OpenLMIS sandbox through the
 * real connector into the stored crosswalk; a second run re-scores nothing; a registry change is
 * re-scored alone; a registry page failing fails the run without touching the crosswalk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMfrSandbox } from '../../../sandbox/mfr/index.js';
import { startOpenLmisSandbox } from '../../../sandbox/openlmis/index.js';
import { NO_REGISTRY, reconcileAll } from '../../../src/jobs/reconcile-job.js';
import { createRegistryClient } from '../../../src/registry/mfr/index.js';
import { openStore } from '../../../src/store/index.js';
import { createOpenLmisConnector } from '../../../src/systems/openlmis/index.js';

t.test('reconcile job against the registry sandbox and the OpenLMIS sandbox', async (t) => {
  const mfr = await startMfrSandbox({ port: 0 });
  const lmis = await startOpenLmisSandbox({ port: 0 });
  const dir = mkdtempSync(path.join(tmpdir(), 'jobs-reconcile-mfr-'));
  const store = await openStore({ dataDir: dir });
  const connector = createOpenLmisConnector({
    'openlmis.baseUrl': lmis.url,
    'openlmis.username': 'mediator',
    'openlmis.password': 'password',
    'openlmis.clientId': 'user-client',
    'openlmis.clientSecret': 'changeme',
  });
  t.teardown(async () => {
    await connector.close?.();
    await store.close();
    await lmis.close();
    await mfr.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const settings = { 'registry.url': mfr.url, 'registry.token': 'mfr-sandbox-token', 'registry.pageSize': 10 };
  const deps = { store, settings: () => settings as never, connectors: () => [connector] };

  const first = (await reconcileAll(deps)).counts!;
  const seeded = mfr.state.summary();
  t.equal(first.registry, seeded.facilities, 'every registry facility, no jurisdiction');
  t.equal(first['openlmis.facilities'], 32, 'the OpenLMIS sandbox facilities');
  t.equal(first['openlmis.written'], 32, 'a crosswalk row for each');
  const rows = await store.listCrosswalk('openlmis');
  t.equal(rows.length, 32);
  const hc101 = rows.find((r) => r.systemId === lmis.state.seedSummary().facilities['LK-HC-101']);
  t.equal(hc101?.registryId, 'fac-lk-hc-101', 'linked to the registry Location id');
  t.equal(hc101?.zone, 'auto', 'same name, same place, same district: automatic');
  t.ok(
    rows.filter((r) => r.zone === 'auto').length >= 28,
    `most facilities match automatically (${rows.filter((r) => r.zone === 'auto').length})`,
  );

  const second = (await reconcileAll(deps)).counts!;
  t.match(second, { 'openlmis.rescored': 0, 'openlmis.written': 0 }, 'a second run re-scores nothing');
  t.ok(
    mfr.requests.filter((r) => r.startsWith('GET /fhir/Location?')).length >= 8,
    'each run read the registry in full, page by page',
  );

  mfr.state.rename('LK-HC-102', 'Kasito Rural Health Centre');
  const third = (await reconcileAll(deps)).counts!;
  t.ok(
    third['openlmis.rescored'] >= 1 && third['openlmis.rescored'] < 32,
    `a registry change re-scores only what it touches (${third['openlmis.rescored']})`,
  );

  await t.test('a shared client is used and left open', async (t) => {
    const shared = createRegistryClient(settings, { retries: 0 })!;
    t.teardown(() => shared.close());
    const counts = (await reconcileAll({ ...deps, registry: () => shared })).counts!;
    t.equal(counts['openlmis.rescored'], 0);
    t.equal((await shared.listAll()).length, seeded.facilities + seeded.jurisdictions, 'still usable');
  });

  await t.test('a failing registry page fails the run; the crosswalk is untouched', async (t) => {
    const before = await store.listCrosswalk('openlmis');
    mfr.faults.add({ method: 'GET', path: '/fhir/Location?**_offset=20**', action: { type: 'status', status: 500 } });
    t.teardown(() => mfr.faults.clear());
    await t.rejects(reconcileAll(deps), /answered 500/);
    t.same(await store.listCrosswalk('openlmis'), before);
  });

  await t.test('registry.file still works when only the file is set; neither = skipped', async (t) => {
    t.same(await reconcileAll({ ...deps, settings: () => ({}) as never }), { skipped: NO_REGISTRY });
  });
});
