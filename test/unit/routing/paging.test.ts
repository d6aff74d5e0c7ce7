/**
 * Paging pushed down to a system (SearchCriteria.page → Page.next): with one system searched, the
 * edge asks for one page and follows the system's cursor in its next links, so a national list is
 * never read whole for a page of 10; with two systems, each returns every match and the edge
 * pages the merged list by offset, as before.
 */
import t, { type Test } from 'tap';
import type { Facility } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector, Page, SearchCriteria } from '../../../src/routing/ports.js';
import { openStore } from '../../../src/store/index.js';
import { fhirJson, testApp } from '../../support/app.js';

const facility = (system: string, i: number): Facility => ({
  id: `${system}-${String(i).padStart(3, '0')}`,
  identifiers: [{ system: `urn:test:${system}`, value: `F${i}` }],
  name: `${system} facility ${i}`,
  status: 'active',
  kind: 'facility',
});

/** A system of `size` facilities that pages by cursor when asked, or answers everything. */
function system(name: string, size: number, pages: boolean) {
  const all = Array.from({ length: size }, (_, i) => facility(name, i));
  const asked: SearchCriteria[] = [];
  const connector: Connector = {
    system: name,
    facilities: {
      async get(id) {
        return all.find((f) => f.id === id);
      },
      async search(criteria): Promise<Page<Facility>> {
        asked.push(criteria);
        if (!pages || !criteria.page) return { items: all };
        const start = criteria.page.cursor === undefined ? 0 : Number(criteria.page.cursor.replace(/^at-/, ''));
        const items = all.slice(start, start + criteria.page.count);
        const end = start + items.length;
        return { items, paged: true, total: all.length, next: end < all.length ? `at-${end}` : undefined };
      },
    },
  };
  return { connector, asked };
}

async function setup(t: Test, connectors: Connector[]) {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({ store });
  const { app } = await testApp({ services: createRoutingServices({ connectors, outbox, store }) });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  return app;
}

const get = async (app: Awaited<ReturnType<typeof setup>>, url: string) => {
  const res = await app.inject({ method: 'GET', url, headers: fhirJson });
  return { status: res.statusCode, body: res.json() };
};
const nextOf = (bundle: { link: { relation: string; url: string }[] }) =>
  bundle.link.find((l) => l.relation === 'next')?.url;

t.test('one system that pages: the edge follows its cursor to the end, every facility once', async (t) => {
  const lmis = system('lmis', 23, true);
  const app = await setup(t, [lmis.connector]);
  const seen: string[] = [];
  let url: string | undefined = '/fhir/Location?_count=10';
  let pagesRead = 0;
  while (url) {
    const { status, body } = await get(app, url.replace('https://hie.example.org', ''));
    t.equal(status, 200, JSON.stringify(body));
    t.equal(body.total, 23, "the system's total");
    seen.push(...(body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
    url = nextOf(body);
    pagesRead++;
  }
  t.equal(pagesRead, 3);
  t.equal(seen.length, 23);
  t.equal(new Set(seen).size, 23, 'no facility twice');
  t.same(
    lmis.asked.map((c) => c.page),
    [
      { count: 10, cursor: undefined },
      { count: 10, cursor: 'at-10' },
      { count: 10, cursor: 'at-20' },
    ],
  );
});

t.test('_sort or _offset: the system answers everything and the edge pages', async (t) => {
  const lmis = system('lmis', 23, true);
  const app = await setup(t, [lmis.connector]);
  const sorted = await get(app, '/fhir/Location?_count=5&_sort=-_id');
  t.equal(sorted.body.entry[0].resource.id, 'lmis-022', 'sorted over all 23');
  t.match(nextOf(sorted.body), /_offset=5/);
  const offset = await get(app, '/fhir/Location?_count=5&_offset=20');
  t.same(
    offset.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
    ['lmis-020', 'lmis-021', 'lmis-022'],
  );
  t.same(
    lmis.asked.map((c) => c.page),
    [undefined, undefined],
  );
  const mixed = await get(app, '/fhir/Location?_cursor=at-10&_sort=_id');
  t.equal(mixed.status, 400);
  t.match(mixed.body.issue[0], { expression: ['_cursor'] });
});

t.test('two systems: merged and paged by offset; neither is asked for a page', async (t) => {
  const a = system('a', 7, true);
  const b = system('b', 6, false);
  const app = await setup(t, [a.connector, b.connector]);
  const first = await get(app, '/fhir/Location?_count=10');
  t.equal(first.body.total, 13);
  t.equal(first.body.entry.length, 10);
  t.match(nextOf(first.body), /_offset=10/);
  t.notMatch(nextOf(first.body), /_cursor/);
  t.same(
    [...a.asked, ...b.asked].map((c) => c.page),
    [undefined, undefined],
  );
});

t.test('a system that cannot page answers everything; a stray _cursor is refused, not ignored', async (t) => {
  const flat = system('flat', 12, false);
  const app = await setup(t, [flat.connector]);
  const first = await get(app, '/fhir/Location?_count=5');
  t.equal(first.body.total, 12);
  t.match(nextOf(first.body), /_offset=5/);
  const stray = await get(app, '/fhir/Location?_cursor=at-5');
  t.equal(stray.status, 400);
  t.match(stray.body.issue[0].diagnostics, /_cursor is not understood/);
});

t.test('a paged system whose one page holds everything gives an ordinary searchset', async (t) => {
  const small = system('small', 4, true);
  const app = await setup(t, [small.connector]);
  const { body } = await get(app, '/fhir/Location?_count=10');
  t.equal(body.total, 4);
  t.same(
    body.link.map((l: { relation: string }) => l.relation),
    ['self'],
  );
  t.notMatch(body.link[0].url, /_cursor/);
});
