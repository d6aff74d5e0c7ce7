/**
 * The scheduled reconciliation (`schedules.reconcile`, issue 14) with the registry and all four
 * system sandboxes, through the registry client and each real connector: every configured system's
 * facility list is matched into the crosswalk; a second run re-scores nothing; a registry change
 * re-scores only what it touches; a person's decision survives a run that would score the record
 * otherwise; a new system record with no registry partner goes to the review queue, and stays
 * there through later runs until a person decides (records unmatched on the first run stay
 * automatic no-matches: the queue would otherwise hold every one of them at once).
 */
import t from 'tap';
import { facilityId } from '../../../sandbox/mfr/index.js';
import { LOC } from '../../../sandbox/openmrs/index.js';
import { reconcileAll } from '../../../src/jobs/reconcile-job.js';
import type { Connector, StepJournal } from '../../../src/routing/ports.js';
import { startPropagationRig } from '../../support/propagation-rig.js';

const SYSTEMS = ['openlmis', 'dhis2', 'openmrs', 'msupply'];
const journal: StepJournal = { idempotencyKey: 'reconcile-e2e', run: (_step, action) => action() };

t.test('reconcile: every system against the registry, incremental, human decisions kept', async (t) => {
  const rig = await startPropagationRig();
  t.teardown(() => rig.close());
  const connector = (system: string): Connector => rig.connectors.list().find((c) => c.system === system)!;
  const deps = {
    store: rig.store,
    settings: () => rig.settings,
    connectors: () => rig.connectors.list(),
    registry: rig.side.registry,
  };

  const first = (await reconcileAll(deps)).counts!;
  t.equal(first.registry, rig.mfr.state.summary().facilities, 'the registry read in full, facilities only');
  for (const system of SYSTEMS) {
    t.ok(first[`${system}.facilities`] > 0, `${system}: ${first[`${system}.facilities`]} facilities read`);
    t.equal(first[`${system}.written`], first[`${system}.facilities`], `${system}: a crosswalk row for each`);
    t.equal((await rig.store.listCrosswalk(system)).length, first[`${system}.facilities`]);
  }
  const lmisRows = await rig.store.listCrosswalk('openlmis');
  t.ok(lmisRows.filter((r) => r.zone === 'auto').length >= 28, 'OpenLMIS facilities mostly match automatically');

  const second = (await reconcileAll(deps)).counts!;
  for (const system of SYSTEMS) t.equal(second[`${system}.rescored`], 0, `${system}: a second run re-scores nothing`);

  // a person links the OpenMRS location to a registry facility the matcher would not pick
  const human = facilityId('LK-HC-105');
  await rig.link('openmrs', LOC.mwangaza, human);
  rig.mfr.state.rename('LK-HC-101', 'Mberewa Health Centre II');
  rig.mfr.state.rename('LK-HC-105', 'Chilanga East Clinic');
  const third = (await reconcileAll(deps)).counts!;
  t.ok(
    third['openlmis.rescored'] >= 1 && third['openlmis.rescored'] < first['openlmis.facilities'],
    `a registry change re-scores only what it touches (${third['openlmis.rescored']} in OpenLMIS)`,
  );
  t.match(
    await rig.store.getCrosswalk('openmrs', LOC.mwangaza),
    { registryId: human, state: 'manual-match', decidedBy: 'rig' },
    'the person’s decision is kept',
  );

  // a private clinic opened in DHIS2 that the registry does not list
  const district = (await connector('dhis2').facilities!.search({ name: 'Mberewa District' })).items.find(
    (f) => f.kind === 'area',
  );
  const opened = await connector('dhis2').facilities!.upsert!(
    {
      identifiers: [{ system: 'http://dhis2.org/identifiertypes#code', value: 'PRIV-900' }],
      name: 'Zzyzx Private Clinic',
      status: 'active',
      kind: 'facility',
      partOf: district?.id,
    },
    journal,
  );
  const newId = Object.values(opened.ids)[0]!;
  const fourth = (await reconcileAll(deps)).counts!;
  t.equal(fourth['dhis2.facilities'], first['dhis2.facilities'] + 1, 'DHIS2 lists one more facility');
  const row = await rig.store.getCrosswalk('dhis2', newId);
  t.match(row, { state: 'review', zone: 'review', decidedBy: 'auto' }, 'the new record waits in the review queue');
  t.match(row?.reasons.at(-1)?.detail, /new in dhis2 since the last run and no registry facility matches it/);
  t.equal(fourth['dhis2.review'], first['dhis2.review'] + 1, 'one more in review');
  const queuedAsNew = (await rig.store.listCrosswalk('openlmis')).filter((r) =>
    r.reasons.some((x) => /^new in/.test(x.detail)),
  );
  t.same(queuedAsNew, [], 'records seen on the first run, re-scored since, are not queued as new');

  rig.mfr.state.rename('LK-HC-102', 'Kasito Rural Health Centre'); // a change near it: DHIS2 re-scored
  await reconcileAll(deps);
  t.match(await rig.store.getCrosswalk('dhis2', newId), { state: 'review' }, 'still queued after the next run');
});
