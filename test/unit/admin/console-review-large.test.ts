/**
 * The review queue past its first 1,000 records, through fastify.inject on both store engines:
 * 3,001 records wait (scores 0.00 … 29.99, one without a candidate), 200 were matched by the
 * matcher, 100 decided by a person. The store filters, counts and pages the queue: the only
 * record of an area, far down the queue, is found by the area filter; the low score band is the
 * weakest third of all 3,001; a record 2,997th in the queue opens by its link; progress counts
 * every row; and no view reads the whole crosswalk.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import type { Facility } from '../../../src/domain/facility.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import type { Store } from '../../../src/store/types.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'large-queue-token';
const AT = '2026-12-01T00:00:00.000Z';
const waiting = (i: number): CrosswalkRow => ({
  system: 'emr',
  systemId: `L${i}`,
  state: 'review',
  zone: 'review',
  score: i / 100,
  reasons: [],
  suggestions: [{ registryId: `R${i}`, score: i / 100, reasons: [{ field: 'name', weight: 1, detail: 'similar' }] }],
  decidedBy: 'auto',
  decidedAt: AT,
});
const rows: CrosswalkRow[] = [
  ...Array.from({ length: 3000 }, (_, i) => waiting(i)),
  { ...waiting(0), systemId: 'L-none', score: undefined, suggestions: [] },
  ...Array.from({ length: 200 }, (_, i) => ({
    ...waiting(i),
    systemId: `A${i}`,
    state: 'auto-match' as const,
    zone: 'auto' as const,
    registryId: `RA${i}`,
    score: 40 + i / 100,
  })),
  ...Array.from({ length: 100 }, (_, i) => ({
    ...waiting(i),
    systemId: `N${i}`,
    state: 'no-match' as const,
    suggestions: [],
    decidedBy: 'Ann Reviewer',
  })),
];
// the system's own facility list: every waiting record is in "Near" but L5, the only one in "Far"
const records = new Map<string, Facility>(
  Array.from({ length: 3000 }, (_, i): [string, Facility] => [
    `L${i}`,
    {
      id: `L${i}`,
      name: `Post ${i}`,
      identifiers: [],
      status: 'active',
      kind: 'facility',
      areaPath: [i === 5 ? 'Far' : 'Near', 'County'],
    },
  ]),
);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    for (let i = 0; i < rows.length; i += 500) await store.upsertCrosswalkMany(rows.slice(i, i + 500));
    let wholeReads = 0;
    const watched = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key === 'listCrosswalk') wholeReads++;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store: watched, adminToken: () => TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        directory: { registry: async () => new Map(), system: async () => records, systems: () => ['emr'] },
      }),
    );
    t.teardown(() => app.close());
    const login = await app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user: 'Ann Reviewer', token: TOKEN }).toString(),
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const view = async (q: string) => {
      const page = await app.inject({ method: 'GET', url: `/admin/ui/review?system=emr${q}`, headers: { cookie } });
      t.equal(page.statusCode, 200);
      return {
        body: page.body,
        record: /data-testid="record-id">([^<]+)</.exec(page.body)?.[1],
        position: /Record ([\d,]+) of ([\d,]+) shown/.exec(page.body)?.slice(1, 3),
      };
    };

    await t.test('the whole queue: best first, every row in the progress', async (t) => {
      const v = await view('');
      t.equal(v.record, 'L2999', 'the best first candidate first');
      t.same(v.position, ['1', '3,001']);
      t.match(v.body, /100 of 3,101 reviewed<\/strong> · 3,001 waiting · 200 matched automatically/);
    });

    await t.test('an area whose only record is 2,995th in the queue', async (t) => {
      const v = await view('&area=Far');
      t.equal(v.record, 'L5', 'found by the area filter');
      t.same(v.position, ['1', '1']);
      t.match(v.body, /<option value="Far" selected>Far<\/option>/);
    });

    await t.test('the low band is the weakest third of all 3,001', async (t) => {
      const v = await view('&band=low');
      // ascending: L-none (no candidate), L0 … the cut is the 1,001st score (L999, 9.99)
      t.equal(v.record, 'L998', 'the best of the weakest third');
      t.same(v.position, ['1', '1,000']);
      const high = await view('&band=high');
      t.equal(high.record, 'L2999');
      t.same(high.position, ['1', '1,001'], 'from L1999 (19.99) up');
    });

    await t.test('a record far down the queue opens by its link, the next ones after it', async (t) => {
      const v = await view('&at=L3');
      t.equal(v.record, 'L3');
      t.same(v.position, ['2,997', '3,001']);
      t.match(v.body, /<h2>Next in the queue<\/h2>\s*<ul class="queue"><li><a href="[^"]*at=L2"/);
    });

    await t.test('matched: the links made, weakest first', async (t) => {
      const v = await view('&state=matched');
      t.equal(v.record, 'A0');
      t.same(v.position, ['1', '200']);
    });

    t.equal(wholeReads, 0, 'no view read the whole crosswalk');
  });
}
