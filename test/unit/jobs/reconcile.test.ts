/**
 * The reconcile job: each configured system's facility list against registry.file into the
 * stored crosswalk, counted per system; skipped (not failed) without a registry or a system;
 * through the scheduler a skip and a failure are recorded as such.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { NO_REGISTRY, NO_SYSTEM, reconcileAll, reconcileJob } from '../../../src/jobs/reconcile-job.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import type { Connector } from '../../../src/routing/ports.js';

const registryCsv = `id,name,latitude,longitude
MFR-1,Mberewa Health Centre,-10.412,34.121
MFR-2,Kasito Health Center,-10.455,34.187
MFR-3,Tsangano Health Centre,-11.201,33.912
`;

const facility = (id: string, name: string, lat: number, lon: number): Facility => ({
  id,
  name,
  identifiers: [{ system: 'urn:test:code', value: id }],
  status: 'active',
  kind: 'facility',
  position: { latitude: lat, longitude: lon },
});
const zone: Facility = { id: 'Z1', name: 'Lakeshore North', identifiers: [], status: 'active', kind: 'area' };

function lmis(list: () => Promise<Facility[]>): Connector {
  return {
    system: 'lmis',
    facilities: { get: async () => undefined, search: async () => ({ items: [] }), listAll: list },
  };
}

t.test('reconcile job', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobs-reconcile-'));
  const store = await openStore({ dataDir: dir });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const registryFile = path.join(dir, 'registry.csv');
  writeFileSync(registryFile, registryCsv);
  const facilities = [
    facility('F1', 'Mberewa Health Centre', -10.412, 34.121),
    facility('F2', 'Kasito Health Centre', -10.455, 34.187),
    zone,
  ];
  let settings: Record<string, unknown> = {};
  let connectors: Connector[] = [lmis(async () => facilities)];
  const deps = { store, settings: () => settings as never, connectors: () => connectors };

  t.same(await reconcileAll(deps), { skipped: NO_REGISTRY }, 'no registry.file: skipped');
  settings = { 'registry.file': registryFile };
  connectors = [{ system: 'other' }];
  t.same(await reconcileAll(deps), { skipped: NO_SYSTEM }, 'no system that lists facilities: skipped');

  connectors = [lmis(async () => facilities)];
  const first = await reconcileAll(deps);
  const counts = first.counts!;
  t.match(
    counts,
    { registry: 3, 'lmis.facilities': 2, 'lmis.rescored': 2, 'lmis.written': 2, 'lmis.retired': 0 },
    'zones left out; both facilities scored and written',
  );
  t.equal(counts['lmis.auto'] + counts['lmis.review'] + counts['lmis.noMatch'], 2, 'every facility in one zone');
  const rows = await store.listCrosswalk('lmis');
  t.same(rows.map((r) => r.systemId).sort(), ['F1', 'F2'], 'rows keyed by the system ids');
  t.equal(
    rows.find((r) => r.systemId === 'F1')?.registryId,
    'MFR-1',
    'the exact name and place links to the registry record',
  );

  const again = await reconcileAll(deps);
  t.match(again.counts, { 'lmis.rescored': 0, 'lmis.written': 0 }, 'a re-run with nothing changed re-scores nothing');

  await t.test('through the scheduler: a skip and a failure are recorded as such', async (t) => {
    const scheduler = new Scheduler({ store, jobs: [reconcileJob(deps)], expression: () => '0 0 1 1 *' });
    settings = {};
    const skipped = await scheduler.runNow('reconcile');
    t.equal(skipped?.status, 'skipped');
    t.match(skipped?.run, { outcome: 'skipped', detail: NO_REGISTRY });
    settings = { 'registry.file': registryFile };
    connectors = [
      lmis(async () => {
        throw new Error('OpenLMIS: 503 Service Unavailable');
      }),
    ];
    const failed = await scheduler.runNow('reconcile');
    t.match(failed?.run, { outcome: 'failed', detail: 'OpenLMIS: 503 Service Unavailable' });
    t.match(
      failed?.run?.detail,
      /^every system failed \(lmis\)\nlmis: failed: OpenLMIS: 503/,
      'the only system: no others',
    );
    settings = { 'registry.file': path.join(dir, 'missing.csv') };
    connectors = [lmis(async () => facilities)];
    const unreadable = await scheduler.runNow('reconcile');
    t.match(
      unreadable?.run,
      { outcome: 'failed', detail: /missing\.csv/ },
      'an unreadable registry file fails the run, naming it',
    );
  });
});
