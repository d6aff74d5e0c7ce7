import t, { type Test } from 'tap';
import { startMfrSandbox, type MfrSandbox, type MfrSandboxOptions } from '../../../../sandbox/mfr/index.js';
import type { Settings } from '../../../../src/config/settings.js';
import { UpstreamError } from '../../../../src/domain/errors.js';
import {
  createRegistryClient,
  type RegistryClient,
  type RegistryPage,
  type RegistryRecord,
} from '../../../../src/registry/mfr/index.js';

/**
 * Contract tier for the registry client against sandbox/mfr (an mCSD directory): both change
 * feeds, paging, resuming from a stored cursor in a new client, deletions, both generations of
 * mCSD type codes, jurisdictions as areas, the checked full read, and auth refusals.
 */
const TOKEN = 'mfr-sandbox-token';
const FEEDS = ['history', 'lastUpdated'] as const;

async function sandbox(t: Test, options: MfrSandboxOptions = {}): Promise<MfrSandbox> {
  const s = await startMfrSandbox({ port: 0, pageSize: 6, ...options });
  t.teardown(() => s.close());
  return s;
}

function client(t: Test, s: MfrSandbox, settings: Settings = {}): RegistryClient {
  const c = createRegistryClient(
    { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': 7, ...settings },
    { retries: 0, retryDelayMs: 1 },
  )!;
  t.teardown(() => c.close());
  return c;
}

async function drain(c: RegistryClient, cursor?: string): Promise<RegistryPage[]> {
  const pages: RegistryPage[] = [];
  for await (const p of c.changesSince(cursor)) pages.push(p);
  return pages;
}

const keys = (records: RegistryRecord[]) => records.map((r) => `${r.id}@${r.version}`);
const all = (pages: RegistryPage[]) => pages.flatMap((p) => p.records);
const lastCursor = (pages: RegistryPage[]) => pages[pages.length - 1]?.cursor;

t.test('createRegistryClient is undefined without registry.url', async (t) => {
  t.equal(createRegistryClient({}), undefined);
  t.throws(() => createRegistryClient({ 'registry.url': 'http://x/fhir', 'registry.changeFeed': 'polling' }), {
    message: /registry.changeFeed must be one of auto, history, lastUpdated/,
  });
});

for (const feed of FEEDS) {
  t.test(`${feed} feed: from the beginning, every Location once, oldest first, in pages`, async (t) => {
    const s = await sandbox(t);
    const c = client(t, s, { 'registry.changeFeed': feed });
    const pages = await drain(c);
    const records = all(pages);
    const seeded = s.state.summary();
    t.equal(records.length, seeded.facilities + seeded.jurisdictions, 'one version per seeded Location');
    t.ok(pages.length > 1, 'several pages');
    t.ok(
      pages.every((p) => p.records.length <= 7),
      'pages no larger than registry.pageSize',
    );
    const instants = records.map((r) => Date.parse(r.lastUpdated));
    t.same(
      instants,
      [...instants].sort((a, b) => a - b),
      'oldest first',
    );
    for (const p of pages)
      t.equal(p.cursor, p.records[p.records.length - 1].lastUpdated, 'cursor = newest instant of the page');
    const followed = s.requests.filter((r) => r.includes('_offset=') && !r.includes('_offset=0'));
    if (feed === 'history') t.ok(followed.length > 0, 'history next links followed');
    else
      t.ok(
        s.requests.some((r) => r.includes('_lastUpdated=ge')),
        'keyset searches from the high-water mark',
      );

    const hc104 = records.find((r) => r.id === 'fac-lk-hc-104')!;
    t.equal(hc104.facility?.kind, 'facility');
    t.same(hc104.facility?.identifiers, [
      { system: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code', value: 'LK-HC-104' },
    ]);
    t.equal(hc104.facility?.partOf, 'jur-lkl-s-chl-twn');
    t.same(hc104.facility?.areaPath, ['Chilanga Town', 'Chilanga District', 'Southern Lakeshore Region', 'Lakeland']);
    t.same(hc104.facility?.position, { latitude: -15.049, longitude: 35.318 });
    t.same(hc104.facility?.types, [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'COMM' }]);
    t.equal(hc104.facility?.operator, undefined, "the mCSD Organization half is not the facility's operator");
    const district = records.find((r) => r.id === 'jur-lkl-n-mbr')!;
    t.equal(district.facility?.kind, 'area', 'jurisdictions are areas');
    t.same(district.facility?.areaPath, ['Northern Highlands Region', 'Lakeland']);
    t.equal(records.find((r) => r.id === 'fac-lk-hc-105')?.facility?.status, 'inactive');
  });

  t.test(`${feed} feed: a new client from a stored cursor sees exactly the later changes`, async (t) => {
    const s = await sandbox(t);
    const first = client(t, s, { 'registry.changeFeed': feed });
    const before = all(await drain(first));
    const stored = lastCursor(await drain(first, undefined))!;
    await first.close();

    const renamed = s.state.rename('LK-HC-101', 'Mberewa Health Center');
    const moved = s.state.move('LK-HC-102', 'LKL-N-TSG');
    const closed = s.state.close('LK-DH-201');
    const opened = s.state.open({
      code: 'LK-HC-106',
      name: 'Lupembe Health Centre',
      parent: 'LKL-N-TSG',
      point: [33.95, -11.25],
    });

    const restarted = client(t, s, { 'registry.changeFeed': feed });
    const after = all(await drain(restarted, stored));
    const known = new Set(keys(before));
    t.same(
      keys(after).filter((k) => !known.has(k)),
      [renamed, moved, closed, opened].map((v) => `${v.id}@${v.versionId}`),
      'the four changes, in order; anything else is a boundary record seen before',
    );
    t.ok(after.length <= 5, 'at most the boundary record again');
    const byId = new Map(after.map((r) => [r.id, r]));
    t.equal(byId.get('fac-lk-hc-101')?.facility?.name, 'Mberewa Health Center');
    t.same(byId.get('fac-lk-hc-102')?.facility?.areaPath, [
      'Tsangano District',
      'Northern Highlands Region',
      'Lakeland',
    ]);
    t.equal(byId.get('fac-lk-dh-201')?.facility?.status, 'inactive');
    t.same(byId.get('fac-lk-hc-106')?.facility?.areaPath, [
      'Tsangano District',
      'Northern Highlands Region',
      'Lakeland',
    ]);
    t.same(
      await drain(restarted, lastCursor(await drain(restarted, stored)))
        .then(all)
        .then(keys),
      [`${opened.id}@${opened.versionId}`],
      'from the newest cursor only its boundary record comes again',
    );
  });

  t.test(`${feed} feed: a restart after any page neither misses nor skips a change`, async (t) => {
    const s = await sandbox(t);
    const expected = new Set(keys(all(await drain(client(t, s, { 'registry.changeFeed': feed })))));
    // a "crash" after each page in turn: the next client starts from that page's cursor
    const seen = new Set<string>();
    let cursor: string | undefined;
    let restarts = 0;
    for (; restarts < 50; restarts++) {
      const c = client(t, s, { 'registry.changeFeed': feed });
      const it = c.changesSince(cursor)[Symbol.asyncIterator]();
      const step = await it.next();
      await it.return?.();
      if (step.done) break;
      const news = keys(step.value.records).filter((k) => !seen.has(k));
      for (const k of news) seen.add(k);
      if (!news.length && step.value.cursor === cursor) break; // only the boundary record is left
      cursor = step.value.cursor;
      // a change between two restarts must come too
      if (restarts === 2) expected.add(`${s.state.rename('LK-WH-302', 'Southern RMS').id}@2`);
    }
    t.ok(restarts > 5, `${restarts} restarts`);
    t.same([...seen].sort(), [...expected].sort(), 'every version exactly as one uninterrupted read sees it');
  });
}

t.test('history: several versions of one Location in one answer, oldest first; DELETE entries', async (t) => {
  const s = await sandbox(t);
  const c = client(t, s, { 'registry.changeFeed': 'history' });
  const cursor = lastCursor(await drain(c))!;
  s.state.rename('LK-HC-103', 'Tsangano HC');
  s.state.rename('LK-HC-103', 'Tsangano Health Center');
  const deleted = s.state.delete('LK-HP-401');
  const records = all(await drain(c, cursor));
  const hc103 = records.filter((r) => r.id === 'fac-lk-hc-103');
  t.same(
    hc103.map((r) => [r.version, r.facility?.name]),
    [
      ['2', 'Tsangano HC'],
      ['3', 'Tsangano Health Center'],
    ],
    'both versions, the last one last',
  );
  const gone = records.find((r) => r.id === 'fac-lk-hp-401')!;
  t.same(
    gone,
    { id: 'fac-lk-hp-401', version: String(deleted.versionId), lastUpdated: deleted.lastUpdated },
    'no facility',
  );
  t.notOk(
    (await c.listAll()).some((r) => r.id === 'fac-lk-hp-401'),
    'a deleted Location is not in the full list',
  );
});

t.test('lastUpdated feed cannot see deletions or unpublished facilities; the full read can', async (t) => {
  const s = await sandbox(t);
  const c = client(t, s, { 'registry.changeFeed': 'lastUpdated' });
  const cursor = lastCursor(await drain(c))!;
  s.state.delete('LK-HP-402');
  s.state.unpublish('LK-HP-403');
  t.notOk(
    all(await drain(c, cursor)).some((r) => r.id === 'fac-lk-hp-402' || r.id === 'fac-lk-hp-403'),
    'neither appears as a change',
  );
  const ids = new Set((await c.listAll()).map((r) => r.id));
  t.notOk(ids.has('fac-lk-hp-402'));
  t.notOk(ids.has('fac-lk-hp-403'), 'unpublished (KMHFL style): absent from the full list');
  t.ok(ids.has('fac-lk-hp-404'));
});

t.test('auto: history when /metadata declares it, _lastUpdated searches when the directory has none', async (t) => {
  const withHistory = await sandbox(t);
  const a = client(t, withHistory);
  await drain(a);
  t.ok(withHistory.requests.some((r) => r.startsWith('GET /fhir/metadata')));
  t.ok(withHistory.requests.some((r) => r.startsWith('GET /fhir/Location/_history')));
  t.notOk(withHistory.requests.some((r) => r.includes('_lastUpdated=')));

  for (const status of [404, 405] as const) {
    const without = await sandbox(t, { history: false, historyOffStatus: status });
    const b = client(t, without);
    const records = all(await drain(b));
    t.equal(records.length, without.state.summary().facilities + without.state.summary().jurisdictions);
    t.notOk(
      without.requests.some((r) => r.startsWith('GET /fhir/Location/_history')),
      `${status}: the CapabilityStatement says no history-type, so _history is never asked`,
    );
  }

  // a CapabilityStatement that claims history while _history answers 405: fall back, and remember
  const liar = await sandbox(t);
  liar.faults.add({ method: 'GET', path: '/fhir/Location/_history**', action: { type: 'status', status: 405 } });
  const c = client(t, liar);
  t.equal(all(await drain(c)).length, 39);
  await drain(c);
  t.equal(liar.requests.filter((r) => r.startsWith('GET /fhir/Location/_history')).length, 1, 'asked once');

  const forced = await sandbox(t, { history: false });
  await t.rejects(
    drain(client(t, forced, { 'registry.changeFeed': 'history' })),
    /answered 405/,
    'history forced: an error',
  );
});

t.test('GOFR 2019 type codes and Locations with only a physicalType', async (t) => {
  const s = await sandbox(t, { state: { typeCodes: 'gofr2019' } });
  s.state.put({
    resourceType: 'Location',
    id: 'plain-area',
    name: 'Lakeshore Catchment',
    status: 'active',
    physicalType: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'area' }],
    },
  });
  s.state.put({
    resourceType: 'Location',
    id: 'plain-site',
    name: 'Outreach Site 7',
    status: 'active',
    identifier: [{ value: 'LK-OS-007' }],
    partOf: { reference: 'Location/plain-area' },
    physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'si' }] },
  });
  const records = await client(t, s).listAll();
  const byId = new Map(records.map((r) => [r.id, r.facility!]));
  t.equal(byId.get('jur-lkl-n')?.kind, 'area', 'urn:ihe:iti:mcsd:2019:jurisdiction');
  t.equal(byId.get('fac-lk-hc-101')?.kind, 'facility', 'urn:ihe:iti:mcsd:2019:facility');
  t.same(byId.get('fac-lk-hc-101')?.types, [
    { system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'COMM' },
  ]);
  t.same(byId.get('fac-lk-hc-101')?.areaPath, ['Mberewa District', 'Northern Highlands Region', 'Lakeland']);
  t.equal(byId.get('plain-area')?.kind, 'area', 'physicalType area');
  t.equal(byId.get('plain-site')?.kind, 'facility', 'physicalType si');
  t.same(byId.get('plain-site')?.areaPath, ['Lakeshore Catchment']);
  t.same(
    byId.get('plain-site')?.identifiers,
    [{ system: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code', value: 'LK-OS-007' }],
    'a code without a system is read in registry.identifierSystem',
  );
});

t.test('areaPath of a change whose jurisdictions are not in the page: fetched by id', async (t) => {
  const s = await sandbox(t);
  const c = client(t, s);
  const cursor = lastCursor(await drain(c))!;
  s.state.rename('LK-HC-104', 'Chilanga Town Health Centre');
  const fresh = client(t, s); // knows no jurisdiction yet
  const r = all(await drain(fresh, cursor)).find((x) => x.id === 'fac-lk-hc-104')!;
  t.same(r.facility?.areaPath, ['Chilanga Town', 'Chilanga District', 'Southern Lakeshore Region', 'Lakeland']);
  t.ok(
    s.requests.some((q) => /_id=[^&]*jur-lkl-s-chl-twn/.test(q)),
    'the parent asked by _id',
  );
});

t.test("current: one Location's current version with its area path; none when deleted or unpublished", async (t) => {
  const s = await sandbox(t);
  const c = client(t, s);
  s.state.rename('LK-HC-104', 'Chilanga Town Health Centre');
  t.match(await c.current('fac-lk-hc-104'), {
    id: 'fac-lk-hc-104',
    version: '2',
    facility: {
      name: 'Chilanga Town Health Centre',
      areaPath: ['Chilanga Town', 'Chilanga District', 'Southern Lakeshore Region', 'Lakeland'],
    },
  });
  s.state.delete('LK-HC-104');
  t.equal(await c.current('fac-lk-hc-104'), undefined, 'deleted (410)');
  s.state.unpublish('LK-HC-102');
  t.equal(await c.current('fac-lk-hc-102'), undefined, 'unpublished (404)');
  s.faults.add({ method: 'GET', path: '/fhir/Location/fac-lk-hc-101', action: { type: 'status', status: 503 } });
  const outage = await c.current('fac-lk-hc-101').catch((e: unknown) => e);
  t.ok(outage instanceof UpstreamError && outage.transient, 'an outage is an error, not "none"');
});

t.test('listAll: every page read; a failing page throws, never a partial list', async (t) => {
  const s = await sandbox(t);
  const c = client(t, s);
  t.equal((await c.listAll()).length, 39);
  s.faults.add({
    method: 'GET',
    path: '/fhir/Location?**_offset=14**',
    times: 1,
    action: { type: 'status', status: 503 },
  });
  const err = await c.listAll().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, UpstreamError, 'the third page failed: the read fails');
  t.match((err as UpstreamError).message, /answered 503/);
  t.equal((await c.listAll()).length, 39, 'and succeeds once the registry answers');
});

t.test('listAll: a list that changes under the read is read again', async (t) => {
  const s = await sandbox(t);
  const c = client(t, s);
  s.faults.add({ method: 'GET', path: '/fhir/Location?**_offset=7**', times: 1, action: { type: 'delay', ms: 150 } });
  const reading = c.listAll();
  // while the second page is held back, a facility before it is unpublished: offsets shift
  while (!s.requests.some((r) => r.includes('_offset=7'))) await new Promise((r) => setTimeout(r, 5));
  s.state.unpublish('jur-lkl-n');
  const records = await reading;
  t.equal(records.length, 38, 'the second read is consistent');
  t.ok(
    records.some((r) => r.id === 'jur-lkl-s'),
    'nothing skipped by the shifted offsets',
  );
  t.equal(s.requests.filter((r) => r === 'GET /fhir/Location?_count=7').length, 2, 'read twice');
});

t.test('auth: Basic and bearer accepted; refusals are clear and carry no secret', async (t) => {
  const s = await sandbox(t);
  const basic = client(t, s, {
    'registry.token': undefined,
    'registry.username': 'mediator',
    'registry.password': 'password',
  });
  await basic.ping();
  t.equal((await basic.listAll()).length, 39);

  const cases: [string, Settings][] = [
    [
      'wrong password',
      { 'registry.token': undefined, 'registry.username': 'mediator', 'registry.password': 'Wr0ng-pw-77' },
    ],
    ['wrong token', { 'registry.token': 'tok-Wr0ng-88' }],
    ['no credentials', { 'registry.token': undefined }],
  ];
  for (const [name, settings] of cases) {
    const c = client(t, s, settings);
    const err = await c.ping().then(
      () => undefined,
      (e: unknown) => e as UpstreamError,
    );
    t.type(err, UpstreamError, name);
    t.equal(err?.upstreamStatus, 401, `${name}: 401`);
    t.match(
      err?.message,
      /registry: GET \/Location answered 401 .*check registry.username and registry.password, or registry.token/,
    );
    t.notMatch(err?.message, /Wr0ng|tok-/, 'no secret in the error');
    await t.rejects(drain(c), /answered 401/, `${name}: the feed fails the same way`);
  }

  const fixed = client(t, s, { 'registry.token': 'tok-Wr0ng-88' });
  await t.rejects(fixed.ping());
  fixed.reconfigure!({ 'registry.url': s.url, 'registry.token': TOKEN });
  await fixed.ping();
  t.pass('a corrected token applies without a restart');
});

t.test('reconfigure with unchanged settings keeps what the client learnt', async (t) => {
  const s = await sandbox(t);
  const settings = { 'registry.url': s.url, 'registry.token': TOKEN, 'registry.pageSize': 7 };
  const c = client(t, s, settings);
  const cursor = lastCursor(await drain(c))!;
  s.state.rename('LK-HC-104', 'Chilanga Town Health Centre');
  c.reconfigure!(settings);
  const probes = s.requests.filter((r) => r.startsWith('GET /fhir/metadata')).length;
  const r = all(await drain(c, cursor)).find((x) => x.id === 'fac-lk-hc-104')!;
  t.same(r.facility?.areaPath, ['Chilanga Town', 'Chilanga District', 'Southern Lakeshore Region', 'Lakeland']);
  t.equal(s.requests.filter((q) => q.startsWith('GET /fhir/metadata')).length, probes, 'no new probe');
  t.notOk(
    s.requests.some((q) => q.includes('_id=')),
    'jurisdictions known from the first read: none fetched',
  );
  c.reconfigure!({ ...settings, 'registry.changeFeed': 'lastUpdated' });
  await drain(c, cursor);
  t.ok(
    s.requests.some((q) => q.includes('_lastUpdated=ge')),
    'a changed feed applies',
  );
});
