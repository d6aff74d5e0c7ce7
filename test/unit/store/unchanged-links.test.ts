/**
 * putLinks writes only the links it would change. A read by id of a SupplyDelivery, and every
 * search, put the links of what it listed on each call, nearly always the very links the call
 * before had stored, and on SQLite each put was a synced commit. A link stored as it would be
 * written is now left out; a new one, another upstream or job id, or another system-of-record
 * mark is written as before, and an absent id still keeps the stored one. Both store engines.
 */
import t from 'tap';
import type { ResourceLink } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { linkUpserts } from '../../support/link-upserts.js';

const line = (fhirId: string, more: Partial<ResourceLink> = {}): ResourceLink => ({
  flow: 'orders',
  fhirId,
  system: 'openlmis',
  upstreamId: 'order-1',
  ...more,
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a link stored as it would be written is not written again`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const upserted = linkUpserts(store);
      const sqlite = store as { commitStats?(): { commits: number } };
      const commits = () => sqlite.commitStats?.().commits;

      await store.putLinks([line('l-1'), line('l-2')]);
      t.same(
        upserted.map((l) => l.fhirId),
        ['l-1', 'l-2'],
        'new links are written',
      );

      upserted.length = 0;
      const before = commits();
      const linkWrites = store.linkWrites?.();
      await store.putLinks([line('l-1'), line('l-2')]);
      t.same(upserted, [], 'the same links again: no upsert');
      t.equal(commits(), before, 'and no commit (SQLite)');
      t.equal(store.linkWrites?.(), linkWrites, 'so a search may go on reusing the links it read (SQLite)');

      await store.putLinks([line('l-1'), line('l-3')]);
      t.same(
        upserted.map((l) => l.fhirId),
        ['l-3'],
        'with a new one: only the new one',
      );

      upserted.length = 0;
      await store.putLinks([
        line('l-1', { upstreamId: 'order-2' }),
        line('l-2', { jobId: 'job-9' }),
        line('l-3', { primary: false }),
      ]);
      t.same(
        upserted.map((l) => l.fhirId),
        ['l-1', 'l-2', 'l-3'],
        'another upstream id, a job id, a secondary mark: each written',
      );
      t.same(await store.getLink('orders', 'l-1'), line('l-1', { upstreamId: 'order-2' }));
      t.same(await store.getLink('orders', 'l-2'), line('l-2', { jobId: 'job-9' }));
      t.same(await store.getLink('orders', 'l-3'), line('l-3', { primary: false }));

      upserted.length = 0;
      await store.putLinks([
        { flow: 'orders', fhirId: 'l-2', system: 'openlmis' },
        line('l-2', { upstreamId: undefined, jobId: 'job-9' }),
      ]);
      t.same(upserted, [], 'a link without the ids it has stored changes nothing: no upsert');
      t.same(await store.getLink('orders', 'l-2'), line('l-2', { jobId: 'job-9' }), 'and it keeps them');

      upserted.length = 0;
      await store.putLinks([line('l-2', { system: 'msupply' })]);
      t.same(
        upserted.map((l) => l.system),
        ['msupply'],
        'the same FHIR id in another system is a link of its own',
      );
    },
  );
}
