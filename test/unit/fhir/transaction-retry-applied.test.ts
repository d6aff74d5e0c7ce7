/**
 * A transaction Bundle sent again after it applied (its first answer lost): each write whose
 * entries are all in place is answered 200 per entry with the resource as it is and its ETag,
 * nothing written again, even where an entry's If-Match now names an older version, as a single
 * PUT is (if-match-retry-applied). Any entry with a real difference keeps the whole transaction a
 * 412; so does an in-place entry whose order has another entry that would change it (the order is
 * one upstream requisition: a retry sends all of it again, in place). The decision itself
 * (retriedWrite), then through the FHIR edge over memory services.
 */
import t from 'tap';
import { retriedWrite } from '../../../src/fhir/applied-already.js';
import { fhirJson, testApp } from '../../support/app.js';
import { GTIN, supplyRequest, transaction } from '../../support/samples.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
/** A product per line of an order (valid GS1 check digits). */
const LINE_GTINS = ['00012345600012', '00012345600029', '00012345600036'];

t.test('retriedWrite: in place only when every entry of the write is', async (t) => {
  const e = (index: number, inPlace: boolean, staleIfMatch: boolean) => ({ index, inPlace, staleIfMatch });
  t.same(retriedWrite([e(0, true, true), e(1, true, false)]), { inPlace: true }, 'all in place: stale excused');
  t.same(retriedWrite([e(0, true, true), e(1, false, true)]), {
    inPlace: false,
    refused: [
      { index: 0, others: [1] },
      { index: 1, others: [] },
    ],
  });
  t.same(
    retriedWrite([e(0, true, true), e(1, false, false)]),
    { inPlace: false, refused: [{ index: 0, others: [1] }] },
    'a new line beside a line in place: the in-place line is refused, naming the new one',
  );
  t.same(retriedWrite([e(0, false, false)]), { inPlace: false, refused: [] }, 'a change with no If-Match is written');
  t.same(retriedWrite([e(0, false, true)]), { inPlace: false, refused: [{ index: 0, others: [] }] });
});

const post = (app: App, bundle: unknown) =>
  app.inject({ method: 'POST', url: '/fhir', headers: fhirJson, payload: JSON.stringify(bundle) });
const get = (app: App, url: string) => app.inject({ method: 'GET', url, headers: fhirJson });
const statuses = (res: { json(): any }) => res.json().entry.map((e: any) => e.response.status);

/** An order of these lines (order O-R: l1 and l2), each line as read: what a client changes, and its ETag. */
async function order(app: App, order = 'O-R', ids = ['l1', 'l2']) {
  const made = await post(
    app,
    transaction(
      ids.map((id, i) => ({
        method: 'PUT',
        url: `SupplyRequest/${id}`,
        resource: supplyRequest({ id, order, gtin: LINE_GTINS[i] }),
      })),
    ),
  );
  if (made.statusCode !== 200) throw new Error(made.body);
  return Promise.all(
    ids.map(async (id) => {
      const read = await get(app, `/fhir/SupplyRequest/${id}`);
      return { read: read.json(), etag: read.headers.etag as string };
    }),
  );
}

/** A PUT entry of a line as read, its quantity changed, with this If-Match (the version read, or none). */
const put = (line: { read: any; etag?: string }, qty: number, ifMatch: string | undefined = line.etag) => {
  const { meta: _meta, ...content } = line.read;
  return {
    method: 'PUT',
    url: `SupplyRequest/${content.id}`,
    resource: { ...content, quantity: { ...content.quantity, value: qty } },
    ...(ifMatch ? { ifMatch } : {}),
  };
};

t.test('a transaction of If-Match PUTs sent again after it applied answers 200, writing nothing', async (t) => {
  const { app, mem } = await testApp();
  const [l1, l2] = await order(app);
  const change = transaction([put(l1, 300), put(l2, 40)]);
  const first = await post(app, change);
  t.equal(first.statusCode, 200, first.body);
  const tags = first.json().entry.map((e: any) => e.response.etag);
  const writes = mem.flows.orders.writes;

  const again = await post(app, change);
  t.equal(again.statusCode, 200, again.body);
  t.same(statuses(again), ['200 OK', '200 OK']);
  t.same(
    again.json().entry.map((e: any) => e.response.etag),
    tags,
    "each entry answered with its current version's ETag",
  );
  t.same(
    again.json().entry.map((e: any) => e.resource.quantity.value),
    [300, 40],
    'and the resource as it is',
  );
  t.equal(mem.flows.orders.writes, writes, 'nothing written again');
});

t.test('a real difference in any entry keeps the whole transaction 412, nothing written', async (t) => {
  const { app, mem } = await testApp();
  const [l1, l2] = await order(app);
  t.equal((await post(app, transaction([put(l1, 300), put(l2, 40)]))).statusCode, 200);
  const writes = mem.flows.orders.writes;

  const other = await post(app, transaction([put(l1, 300), put(l2, 41)]));
  t.equal(other.statusCode, 412, other.body);
  const issues = other.json().issue;
  t.same(
    issues.map((i: any) => i.expression),
    [['Bundle.entry[0].request.ifMatch'], ['Bundle.entry[1].request.ifMatch']],
    'each stale If-Match named',
  );
  t.match(issues[0].diagnostics, /in place already, but Bundle\.entry\[1\] of the same order would change it/);
  t.match(issues[1].diagnostics, /^Bundle\.entry\[1\] SupplyRequest\/l2 has changed/);
  t.equal(mem.flows.orders.writes, writes, 'nothing written');
  t.same(
    (await get(app, '/fhir/SupplyRequest/l2')).json().quantity.value,
    40,
    'the line keeps the change that applied',
  );
});

t.test('an order line in place beside a new line of its order is a 412 naming the new line', async (t) => {
  const { app, mem } = await testApp();
  const [l1, l2] = await order(app);
  t.equal((await post(app, transaction([put(l1, 300), put(l2, 40)]))).statusCode, 200);
  const writes = mem.flows.orders.writes;
  const grown = await post(
    app,
    transaction([
      put(l1, 300),
      put(l2, 40),
      put(
        { read: { ...l2.read, id: 'l3', itemCodeableConcept: { coding: [{ system: GTIN, code: LINE_GTINS[2] }] } } },
        5,
      ),
    ]),
  );
  t.equal(grown.statusCode, 412, grown.body);
  t.same(
    grown.json().issue.map((i: any) => i.expression[0]),
    ['Bundle.entry[0].request.ifMatch', 'Bundle.entry[1].request.ifMatch'],
  );
  t.match(grown.json().issue[0].diagnostics, /but Bundle\.entry\[2\] of the same order would change it/);
  t.equal(mem.flows.orders.writes, writes, 'nothing written');
  t.equal((await get(app, '/fhir/SupplyRequest/l3')).statusCode, 404, 'the new line is not added');
});

t.test('an order in place beside another order changed: the one answered as is, the other written', async (t) => {
  const { app, mem } = await testApp();
  const [l1, l2] = await order(app);
  const [m1] = await order(app, 'O-S', ['m1', 'm2']);
  t.equal((await post(app, transaction([put(l1, 300), put(l2, 40)]))).statusCode, 200);
  const writes = mem.flows.orders.writes;
  const res = await post(app, transaction([put(l1, 300), put(l2, 40), put(m1, 9)]));
  t.equal(res.statusCode, 200, res.body);
  t.same(statuses(res), ['200 OK', '200 OK', '200 OK']);
  t.equal(mem.flows.orders.writes, writes + 1, 'one write: the order with a change');
  t.equal((await get(app, '/fhir/SupplyRequest/m1')).json().quantity.value, 9);
});

t.test('PATCH and DELETE entries sent again with their stale If-Match', async (t) => {
  const { app, mem } = await testApp();
  const [l1, l2] = await order(app);
  const binary = (ops: unknown) => ({
    resourceType: 'Binary',
    contentType: 'application/json-patch+json',
    data: Buffer.from(JSON.stringify(ops)).toString('base64'),
  });
  const patch = transaction([
    {
      method: 'PATCH',
      url: 'SupplyRequest/l1',
      resource: binary([{ op: 'replace', path: '/quantity/value', value: 70 }]),
      ifMatch: l1.etag,
    },
    {
      method: 'PATCH',
      url: 'SupplyRequest/l2',
      resource: binary([{ op: 'replace', path: '/quantity/value', value: 80 }]),
      ifMatch: l2.etag,
    },
  ]);
  const first = await post(app, patch);
  t.equal(first.statusCode, 200, first.body);
  const writes = mem.flows.orders.writes;
  const again = await post(app, patch);
  t.equal(again.statusCode, 200, again.body);
  t.same(
    again.json().entry.map((e: any) => e.response.etag),
    first.json().entry.map((e: any) => e.response.etag),
  );
  t.equal(mem.flows.orders.writes, writes, 'the patches sent again write nothing');

  // one line patched again as before, the other line patched anew from its stale version
  const mixed = await post(app, {
    ...patch,
    entry: [
      patch.entry[0],
      {
        ...patch.entry[1],
        resource: binary([{ op: 'replace', path: '/quantity/value', value: 81 }]),
        request: { ...patch.entry[1].request, ifMatch: first.json().entry[1].response.etag },
      },
    ],
  });
  t.equal(mixed.statusCode, 412, mixed.body);
  t.same(mixed.json().issue[0].expression, ['Bundle.entry[0].request.ifMatch']);
  t.match(mixed.json().issue[0].diagnostics, /but Bundle\.entry\[1\] of the same order would change it/);
  t.equal(mem.flows.orders.writes, writes, 'nothing written');
});

t.test('a batch sent again after it applied: each entry on its own', async (t) => {
  const { app, mem } = await testApp();
  const [l1] = await order(app);
  const [m1] = await order(app, 'O-S', ['m1', 'm2']);
  const batch = { ...transaction([put(l1, 300), put(m1, 9)]), type: 'batch' };
  const first = await post(app, batch);
  t.same(statuses(first), ['200 OK', '200 OK'], first.body);
  const writes = mem.flows.orders.writes;
  const again = await post(app, {
    ...batch,
    entry: [
      batch.entry[0],
      {
        ...batch.entry[1],
        resource: { ...batch.entry[1].resource, quantity: { ...batch.entry[1].resource.quantity, value: 10 } },
      },
    ],
  });
  const [inPlace, stale] = again.json().entry;
  t.equal(inPlace.response.status, '200 OK', 'the entry in place: 200');
  t.equal(inPlace.response.etag, first.json().entry[0].response.etag);
  t.equal(stale.response.status, '412', 'the entry that differs: 412, on its own');
  t.equal(mem.flows.orders.writes, writes, 'nothing written');
});
