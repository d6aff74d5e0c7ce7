import t from 'tap';
import { testApp, fhirJson } from '../../support/app.js';
import { noServices } from '../../support/memory-services.js';
import { inventoryReport, location, supplyDelivery, supplyRequest, transaction } from '../../support/samples.js';

const post = (app: any, url: string, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, headers: { ...fhirJson, ...headers }, payload: JSON.stringify(body) });
const put = (app: any, url: string, body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PUT', url, headers: { ...fhirJson, ...headers }, payload: JSON.stringify(body) });
const get = (app: any, url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { ...fhirJson, ...headers } });

t.test('create, read back with ETag, update with If-Match', async (t) => {
  const { app } = await testApp();
  const created = await post(app, '/fhir/Location', location());
  t.equal(created.statusCode, 201);
  const body = created.json();
  t.match(
    created.headers.location,
    new RegExp(`^https://hie.example.org/fhir/Location/${body.id}/_history/${body.meta.versionId}$`),
    'Location header on the public base',
  );
  t.equal(created.headers.etag, `W/"${body.meta.versionId}"`);
  const read = await get(app, `/fhir/Location/${body.id}`);
  t.equal(read.statusCode, 200);
  t.equal(read.json().name, 'Comfort Health Clinic');
  t.equal(read.headers.etag, created.headers.etag);
  t.match(read.headers['content-type'], /^application\/fhir\+json/);

  const changed = { ...read.json(), name: 'Comfort Health Centre' };
  const stale = await put(app, `/fhir/Location/${body.id}`, changed, { 'if-match': 'W/"not-the-version"' });
  t.equal(stale.statusCode, 412, 'stale If-Match is refused');
  const fresh = await put(app, `/fhir/Location/${body.id}`, changed, { 'if-match': read.headers.etag as string });
  t.equal(fresh.statusCode, 200);
  t.equal(fresh.json().name, 'Comfort Health Centre');
  t.not(fresh.headers.etag, read.headers.etag, 'version changes with content');
  t.equal((await get(app, '/fhir/Location/unknown-id')).statusCode, 404);
});

t.test('update-as-create keeps the client id; conditional create finds the first', async (t) => {
  const { app, mem } = await testApp();
  const made = await put(app, '/fhir/SupplyRequest/client-line-1', supplyRequest({ id: 'client-line-1' }));
  t.equal(made.statusCode, 201);
  t.equal(made.json().id, 'client-line-1');
  t.equal((await get(app, '/fhir/SupplyRequest/client-line-1')).json().quantity.value, 100);

  const cond = { 'if-none-exist': 'identifier=https://app.example.org/orders|ORD-9' };
  const first = await post(app, '/fhir/SupplyRequest', supplyRequest({ order: 'ORD-9' }), cond);
  t.equal(first.statusCode, 201);
  const writes = mem.flows.orders.writes;
  const again = await post(app, '/fhir/SupplyRequest', supplyRequest({ order: 'ORD-9', qty: 5 }), cond);
  t.equal(again.statusCode, 200, 'a match answers 200');
  t.equal(again.json().id, first.json().id);
  t.equal(mem.flows.orders.writes, writes, 'nothing written the second time');
  await post(app, '/fhir/SupplyRequest', supplyRequest({ order: 'ORD-10' }));
  const many = await post(app, '/fhir/SupplyRequest', supplyRequest({ order: 'ORD-11' }), {
    'if-none-exist': 'status=active',
  });
  t.equal(many.statusCode, 412, 'more than one match is 412');
});

t.test('search: _sort by several keys, each ascending or descending', async (t) => {
  const { app } = await testApp();
  for (const [code, name] of [
    ['S1', 'Clinic B'],
    ['S2', 'Clinic A'],
    ['S3', 'clinic a'],
    ['S4', 'Clinic C'],
  ])
    t.equal((await post(app, '/fhir/Location', location({ code, name }))).statusCode, 201);
  const sorted = async (sort: string) =>
    ((await get(app, `/fhir/Location?_sort=${sort}`)).json().entry as any[]).map((e) => ({
      id: e.resource.id as string,
      name: e.resource.name as string,
    }));
  const all = await sorted('_id');
  const ids = all.map((e) => e.id);
  t.same(ids, [...ids].sort(), '_id ascending');
  const a = all.filter((e) => e.name.toLowerCase() === 'clinic a').map((e) => e.id);
  const [low, high] = a;
  const byNameThenIdDesc = await sorted('name,-_id');
  t.same(
    byNameThenIdDesc.map((e) => e.id),
    [high, low, ...['Clinic B', 'Clinic C'].map((n) => all.find((e) => e.name === n)!.id)],
    'name ignoring case, then the equal names by _id descending',
  );
  const byNameDescThenId = await sorted('-name,_id');
  t.same(
    byNameDescThenId.map((e) => e.name),
    ['Clinic C', 'Clinic B', ...[low, high].map((id) => all.find((e) => e.id === id)!.name)],
    'name descending, then the equal names by _id ascending',
  );
});

t.test(
  'search: paging links on the public base, _count, _sort, _summary=count, _lastUpdated, POST _search, _format',
  async (t) => {
    const { app } = await testApp();
    for (let i = 0; i < 7; i++)
      t.equal(
        (await post(app, '/fhir/Location', location({ code: `C${i}`, name: `Clinic ${String.fromCharCode(71 - i)}` })))
          .statusCode,
        201,
      );
    const page1 = (await get(app, '/fhir/Location?_count=3&_sort=name')).json();
    t.equal(page1.type, 'searchset');
    t.equal(page1.total, 7);
    t.same(
      page1.entry.map((e: any) => e.resource.name),
      ['Clinic A', 'Clinic B', 'Clinic C'],
    );
    t.equal(page1.entry[0].search.mode, 'match');
    t.match(page1.entry[0].fullUrl, /^https:\/\/hie\.example\.org\/fhir\/Location\//);
    const next = page1.link.find((l: any) => l.relation === 'next').url as string;
    t.match(next, /^https:\/\/hie\.example\.org\/fhir\/Location\?/);
    const page2 = (await get(app, next.replace('https://hie.example.org', ''))).json();
    t.same(
      page2.entry.map((e: any) => e.resource.name),
      ['Clinic D', 'Clinic E', 'Clinic F'],
    );
    const desc = (await get(app, '/fhir/Location?_sort=-name&_count=1')).json();
    t.equal(desc.entry[0].resource.name, 'Clinic G');
    const count = (await get(app, '/fhir/Location?_summary=count')).json();
    t.equal(count.total, 7);
    t.notOk(count.entry, 'no entries with _summary=count');
    const byName = (
      await app.inject({
        method: 'POST',
        url: '/fhir/Location/_search',
        headers: { ...fhirJson, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'name=clinic%20c',
      })
    ).json();
    t.equal(byName.total, 1);
    const recent = (await get(app, '/fhir/Location?_lastUpdated=gt2000-01-01')).json();
    t.equal(recent.total, 7);
    const future = (await get(app, '/fhir/Location?_lastUpdated=gt2999-01-01')).json();
    t.equal(future.total, 0);
    const asJson = await get(app, '/fhir/Location?_format=application/json');
    t.match(asJson.headers['content-type'], /^application\/json/);
    const ignored = (await get(app, '/fhir/Location?colour=blue')).json();
    t.equal(ignored.total, 7, 'unknown parameters are ignored without Prefer: handling=strict');
    t.notMatch(ignored.link[0].url, /colour/, 'and left out of the self link');
  },
);

t.test('a transaction Bundle of SupplyRequests sharing an order number is one order; all or nothing', async (t) => {
  const { app, mem } = await testApp();
  const lines = ['1', '2', '3', '4', '5'].map((g) => ({
    method: 'POST',
    url: 'SupplyRequest',
    resource: supplyRequest({ order: 'ORD-5', gtin: `0001234560001${g}`, qty: Number(g) * 10 }),
  }));
  const res = await post(app, '/fhir', transaction(lines));
  t.equal(res.statusCode, 200);
  const bundle = res.json();
  t.equal(bundle.type, 'transaction-response');
  t.equal(bundle.entry.length, 5);
  t.ok(bundle.entry.every((e: any) => e.response.status === '201 Created' && e.response.location && e.response.etag));
  t.equal(mem.flows.orders.items.size, 1, 'one order');
  t.equal([...mem.flows.orders.items.values()][0].lines.length, 5, 'with five lines');
  const search = (await get(app, '/fhir/SupplyRequest?identifier=https://app.example.org/orders|ORD-5')).json();
  t.equal(search.total, 5);

  mem.flows.facilities.failNext = new Error('boom');
  const mixed = transaction([
    { method: 'POST', url: 'SupplyRequest', resource: supplyRequest({ order: 'ORD-6' }) },
    { method: 'POST', url: 'Location', resource: location({ code: 'X1' }) },
  ]);
  const failed = await post(app, '/fhir', mixed);
  t.equal(failed.statusCode, 500);
  t.equal(mem.flows.orders.items.size, 1, 'the order written before the failure was rolled back');
});

t.test('batch: entries succeed or fail independently', async (t) => {
  const { app } = await testApp();
  const res = await post(app, '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: location({ code: 'B1' }), request: { method: 'POST', url: 'Location' } },
      { resource: { ...location({ code: 'B2' }), status: 'closed' }, request: { method: 'POST', url: 'Location' } },
      { request: { method: 'GET', url: 'Location?identifier=B1' } },
    ],
  });
  t.equal(res.statusCode, 200);
  const b = res.json();
  t.equal(b.type, 'batch-response');
  t.equal(b.entry[0].response.status, '201 Created');
  t.equal(b.entry[1].response.status, '400');
  t.equal(
    b.entry[1].response.outcome.issue[0].expression[0],
    'Bundle.entry[1].resource.status',
    'named inside the Bundle (issue 9 item 12)',
  );
  t.equal(b.entry[2].response.status, '200 OK');
  t.equal(b.entry[2].resource.total, 1);
});

t.test('deliveries and stock reports round-trip', async (t) => {
  const { app } = await testApp();
  const d = await post(app, '/fhir/SupplyDelivery', supplyDelivery({ accepted: 8, rejected: 2, reason: 'damaged' }));
  t.equal(d.statusCode, 201);
  const item = d.json().suppliedItem;
  t.equal(item.quantity.value, 8);
  t.equal(item.extension.find((e: any) => /quantity-rejected/.test(e.url)).valueQuantity.value, 2);
  const r5 = await post(app, '/fhir/R5/InventoryReport', inventoryReport({ countType: 'difference', qty: -3 }));
  t.equal(r5.statusCode, 201);
  t.equal(r5.json().inventoryListing[0].item[0].quantity.value, -3);
  const found = (await get(app, '/fhir/R5/InventoryReport?location=Location/fac-1')).json();
  t.equal(found.total, 1);
});

t.test('without services the flow says which system to configure', async (t) => {
  const { app } = await testApp({ services: noServices() });
  const res = await post(app, '/fhir/SupplyRequest', supplyRequest());
  t.equal(res.statusCode, 501);
  t.match(res.json().issue[0].diagnostics, /configure openlmis or msupply or openmrs \(see README/);
});

t.test('metadata lists resources, interactions and our own SearchParameters', async (t) => {
  const { app } = await testApp();
  const r4 = (await get(app, '/fhir/metadata')).json();
  t.equal(r4.fhirVersion, '4.0.1');
  t.same(r4.rest[0].resource.map((r: any) => r.type).sort(), ['Location', 'SupplyDelivery', 'SupplyRequest']);
  const r5 = (await get(app, '/fhir/R5/metadata')).json();
  t.equal(r5.fhirVersion, '5.0.0');
  const ir = r5.rest[0].resource.find((r: any) => r.type === 'InventoryReport');
  t.ok(ir.searchParam.find((p: any) => p.name === 'location'));
  const sd = r4.rest[0].resource.find((r: any) => r.type === 'SupplyDelivery');
  const dest = sd.searchParam.find((p: any) => p.name === 'destination');
  const sp = await get(app, `/fhir/SearchParameter/${dest.definition.split('/').pop()}`);
  t.equal(sp.statusCode, 200);
  t.equal(sp.json().code, 'destination');
  t.equal(sp.json().url, dest.definition);
});
