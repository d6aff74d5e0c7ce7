/**
 * A registry version kept is marked unplanned until its plan clears the mark (v71), on SQLite and
 * (with TEST_DATABASE_URL) PostgreSQL: what a kill between the two left is found again, through
 * the partial index (no scan of the table), and only for the version still kept.
 */
import t from 'tap';
import type { RegistryRecordRow } from '../../../src/store/index.js';
import { LIST_UNPLANNED_REGISTRY_RECORDS_SQL } from '../../../src/store/propagation-rows.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

const record = (registryId: string, version: string, changedAt: number): RegistryRecordRow => ({
  registryId,
  version,
  changedAt,
  record: { id: registryId, version, facility: { name: 'Clinic' } },
  seenAt: 5,
});

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const unplanned = async (after = '', limit = 10) =>
      (await store.listUnplannedRegistryRecords(after, limit)).map((r) => `${r.registryId}@${r.version}`);

    await store.putRegistryRecords([record('R-1', '1', 100), record('R-2', '1', 100), record('R-3', '1', 100)]);
    t.same(await unplanned(), ['R-1@1', 'R-2@1', 'R-3@1'], 'every version kept is unplanned');
    t.same(await unplanned('R-1', 1), ['R-2@1'], 'a page after a registry id');

    await store.markRegistryRecordPlanned('R-1', '1');
    await store.markRegistryRecordPlanned('R-2', '0');
    t.same(await unplanned(), ['R-2@1', 'R-3@1'], "planned: that version's mark only");

    await store.putRegistryRecords([record('R-1', '1', 100)]);
    t.same(await unplanned(), ['R-2@1', 'R-3@1'], 'the same version again keeps its plan');
    await store.putRegistryRecords([record('R-1', '2', 200)]);
    t.same(await unplanned(), ['R-1@2', 'R-2@1', 'R-3@1'], 'a new version is unplanned');
    await store.markRegistryRecordPlanned('R-1', '1');
    t.same(await unplanned(), ['R-1@2', 'R-2@1', 'R-3@1'], "the old version's plan does not clear the new one");

    await store.markRegistryRecordPlanned('R-1', '2');
    t.ok(await store.putRegistryRecordOver(record('R-1', '2+absent', 201), '2'), 'kept over 2');
    t.same(await unplanned(), ['R-1@2+absent', 'R-2@1', 'R-3@1'], "a version of the mediator's own is unplanned");

    const plan = await queryPlan(
      databaseUrl,
      LIST_UNPLANNED_REGISTRY_RECORDS_SQL.replace('$1', "''").replace('$2', '1000'),
    );
    t.match(plan, /registry_records_unplanned/, 'found through the partial index');
  });
