/** Cursors, registry records and propagation rows, on SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import t from 'tap';
import type { Propagation, RegistryRecordRow } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const record = (registryId: string, version: string, changedAt: number, name = 'Clinic'): RegistryRecordRow => ({
  registryId,
  version,
  changedAt,
  record: { id: registryId, version, facility: { name } },
  seenAt: 5,
});

const propagation = (over: Partial<Propagation> = {}): Propagation => ({
  registryId: 'R-1',
  system: 'openlmis',
  version: '1',
  action: 'update',
  state: 'queued',
  updatedAt: 10,
  ...over,
});

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);

    t.test('a cursor is absent, then holds the last value stored', async (t) => {
      t.equal(await store.getCursor('registry'), undefined);
      await store.setCursor('registry', '2024-01-01T00:00:00Z', 1);
      await store.setCursor('registry', '2024-02-01T00:00:00Z', 2);
      t.equal(await store.getCursor('registry'), '2024-02-01T00:00:00Z');
      t.equal(await store.getCursor('other'), undefined, 'cursors are per name');
    });

    t.test('registry records keep new versions only, never an older one', async (t) => {
      t.same(await store.putRegistryRecords([record('R-1', '1', 100), record('R-2', '1', 100)]), ['R-1', 'R-2']);
      t.same(await store.putRegistryRecords([record('R-1', '1', 100)]), [], 'the same version again is not new');
      t.same(await store.putRegistryRecords([record('R-1', '3', 300, 'Renamed')]), ['R-1']);
      t.same(await store.putRegistryRecords([record('R-1', '2', 200, 'Older')]), [], 'an older version replayed');
      const kept = await store.getRegistryRecord('R-1');
      t.equal(kept?.version, '3');
      t.same(kept?.record, { id: 'R-1', version: '3', facility: { name: 'Renamed' } });
      t.same(
        (await store.listRegistryRecords()).map((r) => [r.registryId, r.version]),
        [
          ['R-1', '3'],
          ['R-2', '1'],
        ],
      );
      t.equal(await store.getRegistryRecord('R-9'), undefined);
    });

    t.test('a propagation row per registry facility and system, replaced by the latest', async (t) => {
      await store.putPropagation(propagation());
      await store.putPropagation(propagation({ system: 'dhis2', state: 'held', reason: 'in review' }));
      await store.putPropagation(
        propagation({ version: '3', state: 'done', systemId: 'F-9', unsupported: { position: 'no coordinates' } }),
      );
      const row = await store.getPropagation('R-1', 'openlmis');
      t.match(row, { version: '3', state: 'done', systemId: 'F-9', unsupported: { position: 'no coordinates' } });
      // the registry keeps version 3 of R-1 (above): a plan of version 2 finishing late does not replace it
      await store.putPropagation(propagation({ version: '2', state: 'queued' }));
      t.match(await store.getPropagation('R-1', 'openlmis'), { version: '3', state: 'done' });
      t.same(
        (await store.listPropagations({ state: 'held' })).map((p) => [p.system, p.reason]),
        [['dhis2', 'in review']],
      );
      t.equal((await store.listPropagations({ registryId: 'R-1' })).length, 2);
      t.equal((await store.listPropagations({ system: 'openlmis', state: 'held' })).length, 0);
      t.same(await store.countPropagations(), { openlmis: { done: 1 }, dhis2: { held: 1 } });
    });

    t.test('settling a version that is no longer the latest changes nothing', async (t) => {
      await store.putPropagation(propagation({ registryId: 'R-5', version: '2', state: 'queued', action: 'create' }));
      t.notOk(await store.settlePropagation(propagation({ registryId: 'R-5', version: '1', state: 'done' })));
      t.match(await store.getPropagation('R-5', 'openlmis'), { version: '2', state: 'queued', action: 'create' });
      t.ok(
        await store.settlePropagation(propagation({ registryId: 'R-5', version: '2', state: 'done', systemId: 'S-5' })),
      );
      t.match(
        await store.getPropagation('R-5', 'openlmis'),
        {
          version: '2',
          state: 'done',
          systemId: 'S-5',
          action: 'create',
        },
        'settling writes the outcome only: the planned action stays',
      );
    });

    t.test("a mediator's version is kept only over the version it was made from", async (t) => {
      await store.putRegistryRecords([record('R-9', '1', 100)]);
      // a push without a date kept meanwhile just after version 1, at the instant `1+parent` takes
      t.same(await store.putRegistryRecords([record('R-9', '2', 101, 'Pushed')]), ['R-9']);
      t.equal(await store.putRegistryRecordOver(record('R-9', '1+parent', 101), '1'), false, 'not over version 2');
      t.match(await store.getRegistryRecord('R-9'), { version: '2', record: { facility: { name: 'Pushed' } } });
      t.equal(await store.putRegistryRecordOver(record('R-9', '2+parent', 102, 'Pushed'), '2'), true);
      t.match(await store.getRegistryRecord('R-9'), { version: '2+parent', changedAt: 102 });
      t.equal(await store.putRegistryRecordOver(record('R-9', '2+parent+parent', 103), '2'), false, 'kept once');
      t.equal(await store.putRegistryRecordOver(record('R-0', '1+parent', 1), '1'), false, 'nothing kept, none made');
      t.equal(await store.getRegistryRecord('R-0'), undefined);
    });
  });
}
