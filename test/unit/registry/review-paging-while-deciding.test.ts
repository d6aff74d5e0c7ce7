/**
 * A script works through a review queue page by page and decides some records of each page as it
 * goes. Decided records leave the queue, so paging by `offset` skips records (page 2 starts 10
 * further on in a queue that just shrank): the answer now names `next`, the record after the
 * page, and `at=<next>` continues from it whatever was decided before it. Every waiting record
 * is reached, none twice, on both engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'paging-token-77';
const waiting = (i: number): CrosswalkRow => ({
  system: 'emr',
  systemId: `L${String(i).padStart(3, '0')}`,
  state: 'review',
  zone: 'review',
  score: 50 - i,
  reasons: [],
  suggestions: [{ registryId: `R${i}`, score: 50 - i, reasons: [{ field: 'name', weight: 1, detail: 'similar' }] }],
  decidedBy: 'auto',
  decidedAt: '2026-12-01T00:00:00.000Z',
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: paging with next while deciding reaches every record once`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await store.upsertCrosswalkMany(Array.from({ length: 45 }, (_, i) => waiting(i)));
      const app = Fastify();
      await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, systems: () => ['emr'] });
      t.teardown(() => app.close());
      const auth = { authorization: `Bearer ${TOKEN}`, 'x-actor': 'script' };

      const seen: string[] = [];
      let next: string | null | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await app.inject({
          method: 'GET',
          url: `/admin/reconcile/emr/review?limit=10${next ? `&at=${next}` : ''}`,
          headers: auth,
        });
        t.equal(r.statusCode, 200);
        const body = r.json() as { items: { systemId: string }[]; next?: string | null };
        seen.push(...body.items.map((i) => i.systemId));
        // the script decides every other record of the page, leaves the rest for a person
        for (const [k, item] of body.items.entries())
          if (k % 2 === 0)
            await app.inject({
              method: 'POST',
              url: `/admin/reconcile/emr/${item.systemId}/no-match`,
              headers: auth,
              payload: {},
            });
        next = body.next;
        if (!next) break;
      }
      t.equal(next, null, 'the last page says there is no next');
      t.equal(seen.length, 45, 'every record once');
      t.same(
        [...seen].sort(),
        Array.from({ length: 45 }, (_, i) => waiting(i).systemId),
        'none skipped',
      );
    },
  );
}
