/**
 * Store.putPropagation never puts back a version the registry record no longer keeps (the plan of
 * an older version finishing after a newer one's; e2e: concurrent-versions.test.ts); a row of a
 * facility with no registry record kept is written as before. It says whether it took the plan,
 * so propagation queues no job for one not taken. Nor does a plan replace its own version's
 * delivered outcome (done, failed). Both engines.
 */
import t from 'tap';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import type { Propagation } from '../../../src/store/types.js';

const row = (version: string, over: Partial<Propagation> = {}): Propagation => ({
  registryId: 'fac-1',
  system: 'openlmis',
  version,
  action: 'update',
  state: 'queued',
  systemId: 'S-1',
  updatedAt: 1,
  ...over,
});

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.putPropagation(row('1'));
    await store.putPropagation(row('2'));
    t.equal((await store.getPropagation('fac-1', 'openlmis'))?.version, '2', 'no registry record kept: written');

    const record = { id: 'fac-1', version: '3', lastUpdated: '2026-12-01T00:00:00Z' };
    await store.putRegistryRecords([{ registryId: 'fac-1', version: '3', changedAt: 3, record, seenAt: 3 }]);
    t.equal(await store.putPropagation(row('3')), true, 'taken');
    t.equal((await store.getPropagation('fac-1', 'openlmis'))?.version, '3', 'the kept version: written');
    t.equal(await store.putPropagation(row('3', { state: 'done' })), true, 'the same version again: taken');
    t.equal(
      await store.putPropagation(row('2', { state: 'held', reason: 'older' })),
      false,
      'not taken: the caller queues nothing for it',
    );
    t.match(
      await store.getPropagation('fac-1', 'openlmis'),
      { version: '3', state: 'done' },
      'an older version planned late does not replace it',
    );
    // a plan of the same version made from the row as it was before its delivery (held: two paths
    // released it at once) does not put it back; e2e: held-planned-twice.test.ts
    for (const stale of [row('3', { state: 'queued', systemId: undefined }), row('3', { state: 'held' })])
      t.equal(await store.putPropagation(stale), false, `a ${stale.state} plan over done: not taken`);
    t.match(await store.getPropagation('fac-1', 'openlmis'), { version: '3', state: 'done', systemId: 'S-1' });
    await store.settlePropagation(row('3', { state: 'failed', reason: 'refused' }));
    t.equal(await store.putPropagation(row('3')), false, 'nor over failed');
    t.equal(await store.putPropagation(row('3', { state: 'done' })), true, 'a settled outcome itself is taken');
  });
