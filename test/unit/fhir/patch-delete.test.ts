/**
 * What the Android FHIR SDK and other clients send besides POST and PUT (issue 16): JSON Patch as a
 * request and inside a transaction (a Binary), DELETE as each resource means it (a facility is
 * deactivated, other types answer 405 with Allow), vread of the version a Location header names,
 * and 200 (not 201) for an update of a resource that exists.
 */
import t from 'tap';
import { fhirJson, testApp } from '../../support/app.js';
import { location, supplyRequest, transaction } from '../../support/samples.js';

type App = Awaited<ReturnType<typeof testApp>>['app'];
const patchJson = { ...fhirJson, 'content-type': 'application/json-patch+json' };
const call = (
  app: App,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  app.inject({
    method,
    url,
    headers: { ...(method === 'PATCH' ? patchJson : fhirJson), ...headers },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

async function withFacility() {
  const { app, mem } = await testApp();
  const created = await call(app, 'POST', '/fhir/Location', location({ code: 'HC7', name: 'Kilima Dispensary' }));
  return { app, mem, created, id: created.json().id as string, etag: created.headers.etag as string };
}

t.test('PATCH applies a JSON Patch to the current resource and writes it as a PUT would', async (t) => {
  const { app, mem, id, etag } = await withFacility();
  const writes = mem.flows.facilities.writes;
  const res = await call(
    app,
    'PATCH',
    `/fhir/Location/${id}`,
    [
      { op: 'test', path: '/name', value: 'Kilima Dispensary' },
      { op: 'replace', path: '/name', value: 'Kilima Health Centre' },
    ],
    { 'if-match': etag },
  );
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().name, 'Kilima Health Centre');
  t.not(res.headers.etag, etag, 'a new version');
  t.equal(mem.flows.facilities.writes, writes + 1, 'written once');
  t.equal((await call(app, 'GET', `/fhir/Location/${id}`)).json().name, 'Kilima Health Centre', 'read back changed');

  const stale = await call(app, 'PATCH', `/fhir/Location/${id}`, [{ op: 'replace', path: '/name', value: 'X' }], {
    'if-match': etag,
  });
  t.equal(stale.statusCode, 412, 'a patch made from an older version is refused');
  t.equal(mem.flows.facilities.writes, writes + 1, 'and writes nothing');
});

t.test(
  'a patch that cannot apply, or makes an invalid resource, is refused precisely and writes nothing',
  async (t) => {
    const { app, mem, id } = await withFacility();
    const writes = mem.flows.facilities.writes;
    const cases: [string, unknown, number, string, RegExp][] = [
      ['a failed test', [{ op: 'test', path: '/name', value: 'Someone else' }], 409, 'PATCH[0]', /the test failed/],
      [
        'a path that is not there',
        [
          { op: 'replace', path: '/name', value: 'x' },
          { op: 'remove', path: '/telecom' },
        ],
        409,
        'PATCH[1]',
        /path does not exist/,
      ],
      ['not an array', { op: 'replace', path: '/name', value: 'x' }, 400, 'PATCH', /array of operations/],
      ['an unknown op', [{ op: 'rename', path: '/name', value: 'x' }], 400, 'PATCH[0]', /OPERATION_OP_INVALID/],
      [
        'a prototype pollution attempt',
        [{ op: 'add', path: '/__proto__/polluted', value: 1 }],
        400,
        'PATCH[0]',
        /banned/,
      ],
      [
        'a status outside the value set',
        [{ op: 'replace', path: '/status', value: 'closed-for-good' }],
        400,
        'Location.status',
        /status/,
      ],
      [
        'an id changed by the patch',
        [{ op: 'replace', path: '/id', value: 'other' }],
        400,
        'Location.id',
        /must equal the id in the URL/,
      ],
    ];
    for (const [name, patch, status, expression, diagnostics] of cases) {
      const res = await call(app, 'PATCH', `/fhir/Location/${id}`, patch);
      t.equal(res.statusCode, status, `${name}: ${res.body}`);
      t.match(res.json().issue[0], { diagnostics, expression: [expression] }, name);
    }
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
    t.equal((await call(app, 'PATCH', '/fhir/Location/nope', [])).statusCode, 404, 'an unknown resource');
    const wrongType = await call(app, 'PATCH', `/fhir/Location/${id}`, [], { 'content-type': 'application/fhir+json' });
    t.equal(wrongType.statusCode, 415);
    t.equal(mem.flows.facilities.writes, writes, 'nothing written by any of them');
  },
);

t.test('DELETE deactivates a facility, once; other types say what they allow', async (t) => {
  const { app, mem, id } = await withFacility();
  const writes = mem.flows.facilities.writes;
  const gone = await call(app, 'DELETE', `/fhir/Location/${id}`);
  t.equal(gone.statusCode, 200, gone.body);
  t.equal(gone.json().status, 'inactive');
  t.equal((await call(app, 'GET', `/fhir/Location/${id}`)).json().status, 'inactive', 'the record stays, closed');
  const again = await call(app, 'DELETE', `/fhir/Location/${id}`);
  t.equal(again.statusCode, 200, 'a repeated DELETE succeeds');
  t.equal(mem.flows.facilities.writes, writes + 1, 'and writes nothing the second time');

  const line = await call(app, 'DELETE', '/fhir/SupplyDelivery/abc');
  t.equal(line.statusCode, 405);
  t.equal(line.headers.allow, 'GET, PUT, PATCH');
  const unknownLine = await call(app, 'DELETE', '/fhir/SupplyRequest/abc');
  t.equal(unknownLine.statusCode, 404, 'an order line is cancelled by DELETE; one not known is a 404');
  const typeLevel = await call(app, 'PUT', '/fhir/Location', location());
  t.equal(typeLevel.statusCode, 405);
  t.equal(typeLevel.headers.allow, 'GET, POST');
  const base = await call(app, 'DELETE', '/fhir');
  t.equal(base.statusCode, 405);
  t.equal(base.headers.allow, 'POST');
});

t.test('the Location header of a write can be read (vread); an older version is 410', async (t) => {
  const { app, created, id } = await withFacility();
  const location = String(created.headers.location).replace('https://hie.example.org', '');
  t.match(location, new RegExp(`^/fhir/Location/${id}/_history/`));
  const current = await call(app, 'GET', location);
  t.equal(current.statusCode, 200, current.body);
  t.equal(current.json().id, id);
  await call(app, 'PATCH', `/fhir/Location/${id}`, [{ op: 'replace', path: '/name', value: 'Renamed' }]);
  const old = await call(app, 'GET', location);
  t.equal(old.statusCode, 410);
  t.match(old.json().issue[0].diagnostics, /only the current version/);
});

t.test('PUT answers 201 when it creates and 200 when it updates', async (t) => {
  const { app } = await testApp();
  const made = await call(app, 'PUT', '/fhir/SupplyRequest/line-1', supplyRequest({ id: 'line-1', order: 'ORD-PUT' }));
  t.equal(made.statusCode, 201, made.body);
  const changed = await call(
    app,
    'PUT',
    '/fhir/SupplyRequest/line-1',
    supplyRequest({ id: 'line-1', order: 'ORD-PUT', qty: 7 }),
  );
  t.equal(changed.statusCode, 200, changed.body);
  const tx = await call(
    app,
    'POST',
    '/fhir',
    transaction([
      {
        method: 'PUT',
        url: 'SupplyRequest/line-1',
        resource: supplyRequest({ id: 'line-1', order: 'ORD-PUT', qty: 8 }),
      },
    ]),
  );
  t.equal(tx.json().entry[0].response.status, '200 OK', 'in a transaction too');
});

t.test('a transaction carries PATCH (a Binary with the JSON Patch) and DELETE entries, all or nothing', async (t) => {
  const { app, mem, id } = await withFacility();
  const other = (await call(app, 'POST', '/fhir/Location', location({ code: 'HC8', name: 'Mto Clinic' }))).json()
    .id as string;
  const binary = (ops: unknown) => ({
    resourceType: 'Binary',
    contentType: 'application/json-patch+json',
    data: Buffer.from(JSON.stringify(ops)).toString('base64'),
  });
  const writes = mem.flows.facilities.writes;
  const bad = await call(
    app,
    'POST',
    '/fhir',
    transaction([
      {
        method: 'PATCH',
        url: `Location/${id}`,
        resource: binary([{ op: 'replace', path: '/name', value: 'Kilima HC' }]),
      },
      { method: 'PATCH', url: `Location/${other}`, resource: binary([{ op: 'test', path: '/name', value: 'wrong' }]) },
    ]),
  );
  t.equal(bad.statusCode, 409, bad.body);
  t.match(bad.json().issue[0].expression, ['Bundle.entry[1].resource[0]']);
  t.equal(mem.flows.facilities.writes, writes, 'one failed patch: nothing written');

  const ok = await call(
    app,
    'POST',
    '/fhir',
    transaction([
      {
        method: 'PATCH',
        url: `Location/${id}`,
        resource: binary([{ op: 'replace', path: '/name', value: 'Kilima HC' }]),
      },
      { method: 'DELETE', url: `Location/${other}` },
    ]),
  );
  t.equal(ok.statusCode, 200, ok.body);
  t.same(
    ok.json().entry.map((e: { response: { status: string } }) => e.response.status),
    ['200 OK', '200 OK'],
  );
  t.equal((await call(app, 'GET', `/fhir/Location/${id}`)).json().name, 'Kilima HC');
  t.equal((await call(app, 'GET', `/fhir/Location/${other}`)).json().status, 'inactive');
});

t.test('the CapabilityStatement lists vread, patch and (for Location and SupplyRequest) delete', async (t) => {
  const { app } = await testApp();
  const rest = (await call(app, 'GET', '/fhir/metadata')).json().rest[0];
  const codes = (type: string) =>
    rest.resource.find((r: { type: string }) => r.type === type).interaction.map((i: { code: string }) => i.code);
  t.ok(codes('Location').includes('delete'));
  t.ok(codes('SupplyRequest').includes('patch'));
  t.ok(codes('SupplyRequest').includes('vread'));
  t.ok(codes('SupplyRequest').includes('delete'), 'DELETE cancels an order line');
  t.notOk(codes('SupplyDelivery').includes('delete'));
});
