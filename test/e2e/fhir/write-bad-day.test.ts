/**
 * FHIR writes on a bad day, against the OpenMRS sandbox through the real mediator.
 */
import t, { type Test } from 'tap';
import { DEFAULT_REGISTRY_CODE_SYSTEM as CODE } from '../../../src/systems/openmrs/settings.js';
import { until } from '../../support/net.js';
import { startOpenMrsRig, why } from '../../support/openmrs-e2e.js';

/** The OpenMRS sandbox and the real mediator on it, closed when the test ends. */
async function openMrs(t: Test) {
  const rig = await startOpenMrsRig('write-bad-day', { OUTBOX_DEADLINE_MS: '2000' });
  t.teardown(() => rig.close());
  return rig;
}

const location = (id: string, over: Record<string, unknown> = {}) => ({
  resourceType: 'Location',
  id,
  identifier: [{ system: CODE, value: 'SBX-90002' }],
  status: 'active',
  name: 'Amani Clinic',
  mode: 'instance',
  ...over,
});

t.test('a name changed A, B, A, B: the second change to B reaches OpenMRS too', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const id = 'registry-amani-1';
  const put = async (name: string) => {
    const r = await fhir('PUT', `/fhir/Location/${id}`, location(id, { name }));
    t.ok(r.status < 300, `${name}: ${why(r)}`);
    const read = await fhir('GET', `/fhir/Location/${id}`);
    t.equal(read.body?.name, name, `reads as ${name}`);
    return r;
  };
  await put('Amani Clinic');
  await put('Amani Health Centre');
  await put('Amani Clinic');
  await put('Amani Health Centre');
  const uuid = [...sb.store.locations.values()].find((l) => l.name.startsWith('Amani'))!.uuid;
  t.equal(sb.store.locations.get(uuid)!.name, 'Amani Health Centre', 'OpenMRS holds the last name');
});

t.test('two clients update one Location from the same version at once: one 200, one 412', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const id = 'registry-amani-2';
  const created = await fhir('PUT', `/fhir/Location/${id}`, location(id));
  t.ok(created.status < 300, why(created));
  const etag = created.headers.get('etag')!;
  const [a, b] = await Promise.all(
    ['Amani A', 'Amani B'].map((name) =>
      fhir('PUT', `/fhir/Location/${id}`, location(id, { name }), { 'if-match': etag }),
    ),
  );
  t.same([a.status, b.status].sort(), [200, 412], `${why(a)} / ${why(b)}`);
  const won = a.status === 200 ? a : b;
  const read = await fhir('GET', `/fhir/Location/${id}`);
  t.equal(read.body.name, won.body.name, 'the resource is what the 200 said');
  t.equal(read.headers.get('etag'), won.headers.get('etag'));
  t.equal(sb.store.writes['location.update'], 1, 'one write upstream: the 412 wrote nothing');
});

t.test('If-None-Match * creates only; If-Match * updates only what exists (RFC 9110 §13.1)', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const id = 'registry-amani-3';
  const created = await fhir('PUT', `/fhir/Location/${id}`, location(id), { 'if-none-match': '*' });
  t.equal(created.status, 201, why(created));
  const again = await fhir('PUT', `/fhir/Location/${id}`, location(id, { name: 'Amani Other' }), {
    'if-none-match': '*',
  });
  t.equal(again.status, 412, why(again));
  t.same(again.body.issue[0].expression, ['If-None-Match']);
  const excluded = await fhir('PUT', `/fhir/Location/${id}`, location(id, { name: 'Amani Other' }), {
    'if-none-match': created.headers.get('etag')!,
  });
  t.equal(excluded.status, 412, `If-None-Match naming the current version: ${why(excluded)}`);
  t.equal((await fhir('GET', `/fhir/Location/${id}`)).body.name, 'Amani Clinic', 'nothing overwritten');
  t.equal(sb.store.writes['location.update'] ?? 0, 0);

  const any = await fhir('PUT', `/fhir/Location/${id}`, location(id, { name: 'Amani Health Centre' }), {
    'if-match': '*',
  });
  t.equal(any.status, 200, `If-Match * on a resource that exists: ${why(any)}`);
  t.equal((await fhir('GET', `/fhir/Location/${id}`)).body.name, 'Amani Health Centre');
  const listed = await fhir('PUT', `/fhir/Location/${id}`, location(id, { name: 'Amani Clinic' }), {
    'if-match': `W/"not-this", ${any.headers.get('etag')}`,
  });
  t.equal(listed.status, 200, `If-Match listing the current version among others: ${why(listed)}`);
  const none = await fhir('PUT', '/fhir/Location/registry-amani-4', location('registry-amani-4'), { 'if-match': '*' });
  t.equal(none.status, 412, `If-Match * on a resource that does not exist: ${why(none)}`);

  const batch = await fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      {
        resource: location(id, { name: 'Amani Batch' }),
        request: { method: 'PUT', url: `Location/${id}`, ifNoneMatch: '*' },
      },
      {
        resource: location('registry-amani-5', {
          identifier: [{ system: CODE, value: 'SBX-90005' }],
          name: 'Amani Five',
        }),
        request: { method: 'PUT', url: 'Location/registry-amani-5', ifNoneMatch: '*' },
      },
    ],
  });
  t.equal(batch.status, 200, why(batch));
  t.same(
    batch.body.entry.map((e: any) => e.response.status),
    ['412', '201 Created'],
    JSON.stringify(batch.body.entry.map((e: any) => e.response)),
  );
  t.equal((await fhir('GET', `/fhir/Location/${id}`)).body.name, 'Amani Clinic', 'the refused entry wrote nothing');
});

t.test('a transaction changing one Location twice is refused whole: nothing written', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const id = 'registry-amani-6';
  const entry = (name: string) => ({
    resource: location(id, { identifier: [{ system: CODE, value: 'SBX-90006' }], name }),
    request: { method: 'PUT', url: `Location/${id}` },
  });
  const tx = await fhir('POST', '/fhir', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [entry('Amani Six'), entry('Amani Six bis')],
  });
  t.equal(tx.status, 400, why(tx));
  t.same(tx.body.issue?.[0]?.expression, ['Bundle.entry[1].request.url']);
  t.match(why(tx), /Bundle\.entry\[0\]/);
  t.equal((await fhir('GET', `/fhir/Location/${id}`)).status, 404, 'nothing created');
  t.same(sb.store.writes, {}, 'nothing reached OpenMRS');
});

t.test('the same Location POST sent twice at once: one create upstream, both answered 2xx', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const { id: _id, ...body } = location('unused', { identifier: [{ system: CODE, value: 'SBX-90007' }] });
  const [a, b] = await Promise.all([fhir('POST', '/fhir/Location', body), fhir('POST', '/fhir/Location', body)]);
  t.ok(a.status < 300 && b.status < 300, `${a.status} ${why(a)} / ${b.status} ${why(b)}`);
  t.equal(a.body?.id, b.body?.id, 'one resource');
  t.same(sb.store.writes, { 'location.create': 1 }, 'one create reached OpenMRS');
});

t.test('a PUT answered 202, sent again while still queued: one create once OpenMRS is back', async (t) => {
  const { sb, fhir } = await openMrs(t);
  const id = 'registry-amani-8';
  const body = location(id, { identifier: [{ system: CODE, value: 'SBX-90008' }], name: 'Amani Eight' });
  sb.faults.add({ method: 'POST', path: '/openmrs/ws/rest/v1/location', action: { type: 'status', status: 503 } });
  const first = await fhir('PUT', `/fhir/Location/${id}`, body);
  t.equal(first.status, 202, why(first));
  const retry = await fhir('PUT', `/fhir/Location/${id}`, body);
  t.ok([200, 201, 202].includes(retry.status), `the retry: ${retry.status} ${why(retry)}`);
  sb.faults.clear();
  await until(
    'delivered',
    async () =>
      (await fhir('GET', `/fhir/Location/${id}`)).body?.name === 'Amani Eight' && !!sb.store.writes['location.create'],
    20_000,
  );
  await new Promise((r) => setTimeout(r, 1500)); // a second job, if any, would be delivered by now
  t.same(sb.store.writes, { 'location.create': 1 }, 'one write reached OpenMRS');
});
