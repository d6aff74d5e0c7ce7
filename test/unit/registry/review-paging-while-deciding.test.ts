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

/**
 * The record `next` names is itself decided (by a colleague) before the script asks for it: the
 * page starts where that record sorts, not at page 1 again (which showed the first page twice).
 * An `at` naming no record of the system is a 400 saying so.
 */
for (const engine of engineCases()) {
  t.test(
    `${engine.name}: at a record decided since it was named goes on after it`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      await store.upsertCrosswalkMany(Array.from({ length: 25 }, (_, i) => waiting(i)));
      const app = Fastify();
      await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, systems: () => ['emr'] });
      t.teardown(() => app.close());
      const auth = { authorization: `Bearer ${TOKEN}`, 'x-actor': 'script' };
      const page = async (query: string) => {
        const r = await app.inject({
          method: 'GET',
          url: `/admin/reconcile/emr/review?limit=10${query}`,
          headers: auth,
        });
        return { status: r.statusCode, body: r.json() };
      };
      const ids = (body: { items: { systemId: string }[] }) => body.items.map((i) => i.systemId);

      const first = await page('');
      t.equal(first.body.next, 'L010');
      const decide = (id: string) =>
        app.inject({ method: 'POST', url: `/admin/reconcile/emr/${id}/no-match`, headers: auth, payload: {} });
      t.equal((await decide('L010')).statusCode, 200, 'a colleague decides the record next names');
      const second = await page('&at=L010');
      t.equal(second.status, 200);
      t.same(
        ids(second.body),
        Array.from({ length: 10 }, (_, i) => waiting(i + 11).systemId),
        'the page goes on after where L010 sorts',
      );
      t.equal(second.body.offset, 10, 'after the ten records still before it');
      t.equal(second.body.next, 'L021');

      // the last record decided: the page after it is empty, and says there is no next
      t.equal((await decide('L024')).statusCode, 200);
      const past = await page('&at=L024');
      t.same(ids(past.body), [], 'nothing sorts after the last record');
      t.equal(past.body.next, null);

      // a record of another state, in the linked view: where it would sort by its score
      const linked = await page('&state=matched&at=L005');
      t.equal(linked.status, 200, 'a waiting record named in the linked view is placed, not refused');

      const typo = await page('&at=L0100');
      t.equal(typo.status, 400, 'a record the system has not: 400');
      t.same(typo.body.issue[0].expression, ['at']);
      t.equal(
        typo.body.issue[0].diagnostics,
        `at "L0100" is no record of emr: give a systemId of this queue (a page's next)`,
      );
    },
  );
}
