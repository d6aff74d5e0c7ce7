/**
 * The registry sandbox's own behaviour: an mCSD directory's answers (search parameters and
 * paging, read, vread, history with `_since` and its entries, deletions and unpublishing), its
 * clock, auth, history switched off, and the `/_sandbox` control routes with their refusals.
 */
import t, { type Test } from 'tap';
import { MfrState, startMfrSandbox, type MfrSandbox } from '../../../../sandbox/mfr/index.js';

type Json = Record<string, any>;
const BEARER = { authorization: 'Bearer mfr-sandbox-token' };

async function start(t: Test, options: Parameters<typeof startMfrSandbox>[0] = {}): Promise<MfrSandbox> {
  const s = await startMfrSandbox({ port: 0, ...options });
  t.teardown(() => s.close());
  return s;
}

async function get(s: MfrSandbox, path: string, headers: Record<string, string> = BEARER) {
  const res = await fetch(`${s.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

async function control(s: MfrSandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.root}/_sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const ids = (bundle: Json) => (bundle.entry ?? []).map((e: Json) => e.resource?.id ?? e.fullUrl);

t.test('the clock: strictly increasing lastUpdated even within one millisecond', async (t) => {
  const state = new MfrState({ now: () => Date.parse('2025-01-01T00:00:00.000Z'), healthPosts: 0 });
  const instants = state.log.map((v) => v.lastUpdated);
  t.equal(new Set(instants).size, instants.length, 'no two versions share an instant');
  t.same(instants, [...instants].sort(), 'in order');
  const v = state.rename('LK-HC-101', 'Mberewa HC');
  t.equal(v.versionId, 2);
  t.ok(v.lastUpdated > instants[instants.length - 1]);
});

t.test('search: parameters, paging with next links, unknown parameters refused', async (t) => {
  const s = await start(t, { pageSize: 5 });
  const page1 = await get(s, '/Location?type=facility');
  t.equal(page1.status, 200);
  t.equal(page1.headers.get('content-type'), 'application/fhir+json; charset=utf-8');
  t.match(page1.body, { resourceType: 'Bundle', type: 'searchset', total: 32 });
  t.equal(page1.body.entry.length, 5);
  const next = page1.body.link.find((l: Json) => l.relation === 'next').url as string;
  t.match(next, /_offset=5/);
  const page2 = await fetch(next, { headers: BEARER }).then((r) => r.json() as Promise<Json>);
  t.equal(page2.entry.length, 5);
  t.notSame(ids(page2), ids(page1.body));

  const q = async (query: string) => ids((await get(s, `/Location?${query}&_count=100`)).body);
  t.same(await q('identifier=LK-HC-102'), ['fac-lk-hc-102']);
  t.same(
    await q(
      `identifier=${encodeURIComponent('http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code|LK-HC-102')}`,
    ),
    ['fac-lk-hc-102'],
  );
  t.same(await q('identifier=other|LK-HC-102'), []);
  t.same(await q('name=mberewa&type=facility'), ['fac-lk-hc-101', 'fac-lk-dh-201'], 'starts-with, case-insensitive');
  t.same(await q('name:contains=town'), ['jur-lkl-s-chl-twn', 'fac-lk-hc-104']);
  t.same(await q('name:exact=Mberewa'), []);
  t.same(await q('partof=jur-lkl-n-mbr&type=facility'), ['fac-lk-hc-101', 'fac-lk-hc-102', 'fac-lk-dh-201']);
  t.same(await q('status=inactive'), ['fac-lk-hc-105']);
  t.same(await q('_id=fac-lk-hc-101,jur-lkl'), ['jur-lkl', 'fac-lk-hc-101']);
  t.equal((await q('type=jurisdiction')).length, 7);

  const newest = s.state.log[s.state.log.length - 1].lastUpdated;
  t.same(await q(`_lastUpdated=ge${newest}`), ['fac-lk-hp-424']);
  t.same(await q(`_lastUpdated=gt${newest}`), []);
  const sorted = (await get(s, '/Location?_sort=-_lastUpdated&_count=2')).body;
  t.same(ids(sorted), ['fac-lk-hp-424', 'fac-lk-hp-423']);

  const bad = await get(s, '/Location?adress=x');
  t.equal(bad.status, 400);
  t.match(bad.body, {
    resourceType: 'OperationOutcome',
    issue: [{ code: 'invalid', diagnostics: /Unknown search parameter 'adress'/ }],
  });
  t.equal((await get(s, '/Location?_lastUpdated=ge2024-13')).status, 400, 'a malformed date');
  t.equal((await get(s, '/Location?_count=-1')).status, 400);
  t.equal((await get(s, '/Patient')).status, 404);

  const orgs = await get(s, '/Organization?identifier=LK-HC-101');
  t.same(ids(orgs.body), ['org-fac-lk-hc-101'], 'the Organization half of the mCSD pair');
});

t.test('read, vread, history with _since; delete and unpublish', async (t) => {
  const s = await start(t, { pageSize: 3 });
  const since = s.state.tick();
  const renamed = s.state.rename('LK-HC-103', 'Tsangano HC');
  s.state.close('LK-HC-103');
  const deleted = s.state.delete('LK-HP-401');
  s.state.unpublish('LK-HP-402');

  const read = await get(s, '/Location/fac-lk-hc-103');
  t.match(read.body, { name: 'Tsangano HC', status: 'inactive', meta: { versionId: '3' } });
  t.equal(read.headers.get('etag'), 'W/"3"');
  t.match((await get(s, '/Location/fac-lk-hc-103/_history/1')).body, { name: 'Tsangano Health Centre' });
  t.equal((await get(s, '/Location/fac-lk-hp-401')).status, 410, 'deleted: gone');
  t.equal((await get(s, '/Location/fac-lk-hp-402')).status, 404, 'unpublished: unknown');
  t.notOk(ids((await get(s, '/Location?_count=100')).body).includes('fac-lk-hp-402'));

  const history = await get(s, `/Location/_history?_since=${since}`);
  t.match(history.body, { resourceType: 'Bundle', type: 'history', total: 3 });
  const [del, closed, ren] = history.body.entry;
  t.same(del, {
    fullUrl: `${s.url}/Location/fac-lk-hp-401`,
    request: { method: 'DELETE', url: 'Location/fac-lk-hp-401' },
    response: { status: '204 No Content', etag: `W/"${deleted.versionId}"`, lastModified: deleted.lastUpdated },
  });
  t.match(closed, {
    request: { method: 'PUT' },
    response: { status: '200 OK', etag: 'W/"3"' },
    resource: { status: 'inactive' },
  });
  t.match(ren, { resource: { meta: { versionId: '2', lastUpdated: renamed.lastUpdated } } });
  t.equal(
    history.body.link.find((l: Json) => l.relation === 'next'),
    undefined,
    'three entries, one page',
  );
  const all = await get(s, '/Location/_history?_count=10');
  t.equal(all.body.total, 39 + 3, 'every Location version, no unpublish entry');
  t.match(all.body.entry.at(-1), { request: { method: 'POST', url: 'Location' }, response: { status: '201 Created' } });
  t.equal((await get(s, '/Location/_history?_since=yesterday')).status, 400);
  t.equal((await get(s, '/Location/fac-lk-hc-103/_history')).body.total, 3, 'instance history');
});

t.test('auth, public metadata, history switched off', async (t) => {
  const s = await start(t, { history: false, historyOffStatus: 404 });
  const refused = await get(s, '/Location', {});
  t.equal(refused.status, 401);
  t.match(refused.headers.get('www-authenticate'), /Basic realm.*Bearer realm/);
  t.match(refused.body, { issue: [{ code: 'login' }] });
  const basic = { authorization: `Basic ${Buffer.from('mediator:password').toString('base64')}` };
  t.equal((await get(s, '/Location?_count=1', basic)).status, 200);
  t.equal((await get(s, '/Location?_count=1', { authorization: 'Bearer nope' })).status, 401);

  const metadata = await get(s, '/metadata', {});
  t.equal(metadata.status, 200, 'public');
  const location = metadata.body.rest[0].resource.find((r: Json) => r.type === 'Location');
  t.notOk(location.interaction.some((i: Json) => i.code === 'history-type'));
  t.equal((await get(s, '/Location/_history')).status, 404);
  t.equal((await control(s, 'PUT', '/history', { enabled: true })).status, 200);
  t.equal((await get(s, '/Location/_history?_count=1')).status, 200);
  const on = (await get(s, '/metadata', {})).body.rest[0].resource.find((r: Json) => r.type === 'Location');
  t.ok(on.interaction.some((i: Json) => i.code === 'history-type'));
  const open = await start(t, { auth: false });
  t.equal((await get(open, '/Location?_count=1', {})).status, 200, 'auth: false');
});

t.test('control routes: rename, move, open, close, unpublish, delete', async (t) => {
  const s = await start(t);
  const renamed = await control(s, 'POST', '/locations/LK-HC-101/rename', { name: 'Mberewa Health Center' });
  t.match(renamed, { status: 200, body: { id: 'fac-lk-hc-101', versionId: '2' } });
  t.match((await get(s, '/Organization/org-fac-lk-hc-101')).body, { name: 'Mberewa Health Center' });
  t.match(await control(s, 'POST', '/locations/fac-lk-hc-102/move', { partOf: 'LKL-N-TSG' }), { status: 200 });
  t.match((await get(s, '/Location/fac-lk-hc-102')).body, { partOf: { reference: 'Location/jur-lkl-n-tsg' } });
  const opened = await control(s, 'POST', '/locations', {
    code: 'LK-HC-106',
    name: 'Lupembe Health Centre',
    partOf: 'LKL-N-TSG',
    position: { latitude: -11.25, longitude: 33.95 },
  });
  t.match(opened, { status: 201, body: { id: 'fac-lk-hc-106', versionId: '1' } });
  t.match((await get(s, '/Location/fac-lk-hc-106')).body, {
    identifier: [{ value: 'LK-HC-106' }],
    position: { latitude: -11.25, longitude: 33.95 },
    managingOrganization: { reference: 'Organization/org-fac-lk-hc-106' },
    type: [{ coding: [{ code: 'facility' }] }, { coding: [{ code: 'COMM' }] }],
  });
  t.match(await control(s, 'POST', '/locations/LK-HC-106/close'), { status: 200, body: { versionId: '2' } });
  t.match(await control(s, 'POST', '/locations/LK-HC-106/unpublish'), { status: 200 });
  t.match(await control(s, 'DELETE', '/locations/LK-HP-410'), { status: 200, body: { id: 'fac-lk-hp-410' } });
  t.match((await control(s, 'GET', '/state')).body, {
    facilities: 31,
    jurisdictions: 7,
    unpublished: ['fac-lk-hc-106'],
    deleted: ['fac-lk-hp-410'],
  });

  t.match(await control(s, 'POST', '/locations', { code: 'LK-HC-101', name: 'Again' }), {
    status: 409,
    body: { issue: [{ code: 'conflict' }] },
  });
  t.match(await control(s, 'POST', '/locations/LK-XX-999/rename', { name: 'x' }), { status: 404 });
  t.match(await control(s, 'POST', '/locations/LK-HC-101/rename', {}), {
    status: 400,
    body: { issue: [{ diagnostics: 'body.name must be a non-empty string' }] },
  });
  t.match(await control(s, 'DELETE', '/locations/fac-lk-hp-410'), { status: 410 }, 'deleted twice');
  t.match(await control(s, 'POST', '/locations', { code: 'X', name: 'y', kind: 'ward' }), { status: 400 });
});
