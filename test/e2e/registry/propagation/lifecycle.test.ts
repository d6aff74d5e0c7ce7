/**
 * A facility's life in the registry, propagated through the real connectors and sandboxes: closed
 * (deactivated everywhere, never deleted), moved to another district (the parent updated where
 * each system keeps one, reported where it cannot be found), opened (created where routing.json
 * places it, once), and unpublished (deactivated only after a full read confirms it is gone).
 */
import t from 'tap';
import { facilityId, jurisdictionId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { FlowRouting } from '../../../../src/routing/rules.js';
import { drain, startPropagationRig } from '../../../support/propagation-rig.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { until } from '../../../support/net.js';
import { propagateChanges } from '../../../../src/jobs/propagate-job.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const EVERYWHERE: FlowRouting = { default: 'openlmis', secondary: [{ system: 'dhis2' }, { system: 'openmrs' }] };

async function linkedRig(
  routing: FlowRouting = { default: null },
  env: Record<string, string> = {},
  maxAttempts?: number,
) {
  const rig = await startPropagationRig({ routing, env, maxAttempts });
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  rig.writes.length = 0;
  return { rig, ids };
}

t.test('a closed facility is deactivated in each system, and stays there', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  rig.mfr.state.close(CODE);
  await rig.pull();
  for (const [system, id] of Object.entries(ids)) {
    const f = await connectorOf(rig, system).facilities!.get(id);
    t.ok(f, `${system} still has the record (never deleted)`);
    t.equal(f?.status, 'inactive', `${system} deactivated`);
    t.match(await rig.store.getPropagation(REGISTRY_ID, system), { action: 'deactivate', state: 'done' });
  }
  // OpenMRS retires with DELETE (no purge): the record stays, retired; nothing is purged or removed elsewhere
  const deletes = rig.writes.filter((w) => w.method === 'DELETE');
  t.ok(
    deletes.every((w) => w.system === 'openmrs' && !/purge=true/.test(w.url)),
    'only an OpenMRS retire, never a purge',
  );
});

t.test('a move to another district updates the parent where the system has that district', async (t) => {
  const { rig, ids } = await linkedRig();
  t.teardown(() => rig.close());
  rig.mfr.state.move(CODE, 'LKL-N-TSG');
  await rig.pull();
  const tsangano = async (system: string) => {
    const { items } = await connectorOf(rig, system).facilities!.search({ name: 'Tsangano District' });
    return items.find((f) => f.kind === 'area' && f.name === 'Tsangano District')?.id;
  };
  for (const system of ['openlmis', 'dhis2']) {
    const parent = await tsangano(system);
    t.ok(parent, `${system} has a Tsangano District area`);
    t.equal((await connectorOf(rig, system).facilities!.get(ids[system]))?.partOf, parent, `${system} parent moved`);
  }
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'openmrs'), {
    state: 'done',
    unsupported: { parent: /no area named Tsangano District .*: its parent is left as it was$/ },
  });
  t.equal(jurisdictionId('LKL-N-TSG').length > 0, true);
});

t.test('a new facility is created where routing.json places it, exactly once', async (t) => {
  const { rig } = await linkedRig(EVERYWHERE);
  t.teardown(() => rig.close());
  rig.mfr.state.open({ code: 'LK-HC-190', name: 'Lakeview Health Centre', parent: 'LKL-N-MBR', point: [34.2, -10.5] });
  await rig.pull();
  await rig.pull(); // a second pull re-reads the boundary page: nothing more
  const created: Record<string, string | undefined> = {};
  for (const system of ['openlmis', 'dhis2', 'openmrs']) {
    const { items } = await connectorOf(rig, system).facilities!.search({ identifier: { value: 'LK-HC-190' } });
    const twins = items.filter((f) => f.kind === 'facility');
    t.equal(twins.length, 1, `${system} has exactly one LK-HC-190`);
    t.equal(twins[0]?.name, 'Lakeview Health Centre');
    created[system] = twins[0]?.id;
    t.match(await rig.store.getPropagation(facilityId('LK-HC-190'), system), {
      action: 'create',
      state: 'done',
      systemId: created[system],
    });
    const row = await rig.store.getCrosswalk(system, created[system]!);
    t.match(row, { registryId: facilityId('LK-HC-190'), decidedBy: 'propagation' }, `${system} crosswalk links it`);
  }
  t.match(
    (await rig.store.getPropagation(facilityId('LK-HC-190'), 'openmrs'))?.unsupported,
    { parent: /^no area named Mberewa District .*: it is created without a parent$/ },
    'OpenMRS has no such area: the new location is created without a parent, and says so',
  );
  t.match(await rig.store.getPropagation(facilityId('LK-HC-190'), 'msupply'), { state: 'skipped' });
  const lmis = await connectorOf(rig, 'openlmis').facilities!.get(created.openlmis!);
  t.same(
    lmis?.types?.map((x) => x.code),
    ['health_center'],
    'the registry type reached OpenLMIS through facility-types.json',
  );
  t.equal(rig.writes.filter((w) => w.system === 'openlmis' && w.method === 'POST').length, 1, 'one OpenLMIS create');

  rig.writes.length = 0;
  rig.mfr.state.rename('LK-HC-190', 'Lakeview Health Centre II');
  await rig.pull();
  for (const system of ['openlmis', 'dhis2', 'openmrs'])
    t.equal(
      (await connectorOf(rig, system).facilities!.get(created[system]!))?.name,
      'Lakeview Health Centre II',
      `${system}: the created record is the one updated next`,
    );
});

t.test('a facility unpublished by the registry is closed only after a full read confirms it', async (t) => {
  const { rig, ids } = await linkedRig({ default: null }, { REGISTRY_FULL_READ_HOURS: '0.000001' });
  t.teardown(() => rig.close());
  rig.mfr.state.unpublish(CODE);
  // a refused page (not retried): the full read cannot complete
  rig.mfr.faults.add({ path: '/fhir/Location?**', action: { type: 'status', status: 400 }, times: 1 });
  // a full read is due 0.000001 h (3.6 ms) after the last one, which linkedRig's pull just made:
  // on a fast machine this pull came sooner, skipped its full read and left the fault to the next
  await new Promise((r) => setTimeout(r, 10));
  const failed = await rig.pull().catch((err: Error) => err);
  t.ok(failed instanceof Error, 'a failing page stops the full read');
  t.equal((await connectorOf(rig, 'openlmis').facilities!.get(ids.openlmis))?.status, 'active', 'nothing closed on it');
  const counts = await rig.pull();
  t.equal(counts.absent, 1, 'the next full read confirms one facility gone');
  for (const [system, id] of Object.entries(ids))
    t.equal((await connectorOf(rig, system).facilities!.get(id))?.status, 'inactive', `${system} deactivated`);
});

t.test('a newer version supersedes one still queued: the system gets the latest once', async (t) => {
  const { rig, ids } = await linkedRig({ default: null }, {}, 10_000);
  t.teardown(() => rig.close());
  const propagate = () =>
    propagateChanges({
      store: rig.store,
      settings: () => rig.settings,
      propagator: rig.side.propagator,
      registry: rig.side.registry,
    });
  // DHIS2 is down for writes: the first rename waits in the outbox, retrying
  const down = rig.dhis2.faults.add({
    method: 'PUT',
    path: '/api/organisationUnits/**',
    action: { type: 'status', status: 503 },
  });
  rig.mfr.state.rename(CODE, 'Mberewa HC (first)');
  await propagate();
  await until('a refused DHIS2 attempt', async () =>
    (await rig.store.listJobs({ system: 'dhis2', flow: 'propagate' })).some((j) => j.lastError && j.status !== 'done'),
  );
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'dhis2'), { state: 'queued', version: '2' }, 'waits for DHIS2');

  rig.mfr.state.rename(CODE, 'Mberewa HC (second)');
  await propagate();
  rig.writes.length = 0;
  rig.dhis2.faults.remove(down.id);
  await drain(rig.store);
  t.equal((await connectorOf(rig, 'dhis2').facilities!.get(ids.dhis2))?.name, 'Mberewa HC (second)');
  // v1 may have been mid-attempt (the client retries a 503 within it) when DHIS2 came back: then it
  // lands first and v2 after it (one facility's jobs are serialised); otherwise it never lands
  const names = rig.writes
    .filter((w) => w.system === 'dhis2' && w.method === 'PUT' && (w.response?.status ?? 0) < 300)
    .map((w) => (typeof w.requestBody === 'string' ? JSON.parse(w.requestBody) : w.requestBody)?.name);
  t.equal(names.at(-1), 'Mberewa HC (second)', 'the last write is the latest version');
  t.same([...new Set(names)], names, 'no version written twice');
  t.ok(names.length <= 2, 'at most the in-flight older version, then the latest');
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'dhis2'), { state: 'done', version: '3' });
  const jobs = await rig.store.listJobs({ system: 'dhis2', flow: 'propagate' });
  const older = jobs.find((j) => (j.payload as { version: string }).version === '2');
  t.equal(older?.status, 'done', 'the older job is finished, not left retrying');
  if (names.length === 1) t.equal(older?.result?.status, 'superseded', 'and, never in flight, it wrote nothing');
});
